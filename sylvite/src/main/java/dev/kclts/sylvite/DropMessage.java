package dev.kclts.sylvite;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * A logback turbo filter that drops one message of one logger at INFO and below, for periodic lines
 * that say nothing (KCL 3.1.3's {@code Scheduler} logs "Sleeping ..." through its {@code SchedulerLog}
 * once a minute, as {@code log.info("{}", message)}). Warnings and errors always pass.
 *
 * <pre>
 * &lt;turboFilter class="dev.kclts.sylvite.DropMessage"&gt;
 *   &lt;logger&gt;software.amazon.kinesis.coordinator.Scheduler&lt;/logger&gt;
 *   &lt;message&gt;Sleeping ...&lt;/message&gt;
 * &lt;/turboFilter&gt;
 * </pre>
 */
public final class DropMessage extends TurboFilter {
    private String logger;
    private String message;

    public void setLogger(String logger) {
        this.logger = logger;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    @Override
    public FilterReply decide(
            Marker marker, Logger from, Level level, String format, Object[] params, Throwable t) {
        if (format == null || level == null || level.isGreaterOrEqual(Level.WARN)) return FilterReply.NEUTRAL;
        if (logger == null || message == null || !logger.equals(from.getName())) return FilterReply.NEUTRAL;
        boolean same = message.equals(format)
                || ("{}".equals(format) && params != null && params.length == 1 && message.equals(String.valueOf(params[0])));
        return same ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
