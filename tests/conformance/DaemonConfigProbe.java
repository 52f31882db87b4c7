// kclts conformance probe: loads properties through the KCL MultiLangDaemon's own configuration
// path and prints what it built, so that tests/launcher_conformance_test.ts can tell, for each key
// and value, whether the daemon applied it, ignored it or refused it.
//
// Compiled and run by that test against sylvite.jar (javac -cp sylvite.jar; java -cp ...).
//
// Input (stdin): cases, each "CASE <id>" then properties lines, then "END".
// Output (stdout): for each case "<id>\tSTATUS\tok" or "<id>\tSTATUS\trefused: <message>", then
// one "<id>\t<path>\t<value>" line per value of the resolved configuration.
//
// The path it follows is the daemon's (MultiLangDaemon.main): new MultiLangDaemonConfig(file)
// (executableName, maxActiveThreads, KinesisClientLibConfigurator.getConfiguration), then
// MultiLangDaemonConfiguration.resolvedConfiguration(factory), which builds the clients and the
// KCL configuration objects the Scheduler is made of (ConfigurationSettableUtils, RetrievalMode).

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;

import software.amazon.awssdk.awscore.AwsServiceClientConfiguration;
import software.amazon.awssdk.core.SdkClient;
import software.amazon.kinesis.multilang.MultiLangDaemonConfig;
import software.amazon.kinesis.multilang.config.MultiLangDaemonConfiguration;
import software.amazon.kinesis.processor.ShardRecordProcessorFactory;

public final class DaemonConfigProbe {
    private static final int MAX_DEPTH = 6;

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Path dir = Files.createTempDirectory("kclts-probe");
        String line;
        String id = null;
        StringBuilder properties = new StringBuilder();
        while ((line = in.readLine()) != null) {
            if (line.startsWith("CASE ")) {
                id = line.substring(5);
                properties.setLength(0);
            } else if (line.equals("END")) {
                probe(id, properties.toString(), dir);
                System.out.flush();
            } else {
                properties.append(line).append('\n');
            }
        }
        System.exit(0);
    }

    private static void probe(String id, String properties, Path dir) {
        Map<String, String> dump = new TreeMap<>();
                ExecutorService executor = null;
        String status = "ok";
        try {
            Path file = dir.resolve(id.replaceAll("[^A-Za-z0-9_.-]", "_") + ".properties");
            Files.write(file, properties.getBytes(StandardCharsets.ISO_8859_1));
            MultiLangDaemonConfig daemon = new MultiLangDaemonConfig(file.toString());
            executor = daemon.getExecutorService();
            MultiLangDaemonConfiguration configuration = daemon.getMultiLangDaemonConfiguration();
            Method command = daemon.getRecordProcessorFactory().getClass().getDeclaredMethod("getCommandArray");
            command.setAccessible(true);
            dump.put("daemon.command", String.join(" ", (String[]) command.invoke(daemon.getRecordProcessorFactory())));
            if (executor instanceof ThreadPoolExecutor) {
                ThreadPoolExecutor pool = (ThreadPoolExecutor) executor;
                dump.put("daemon.threads", pool.getCorePoolSize() + "/" + pool.getMaximumPoolSize());
            }
            dump.put("daemon.timeoutInSeconds", String.valueOf(configuration.getTimeoutInSeconds()));
            dump.put("daemon.shutdownGraceMillis", String.valueOf(configuration.getShutdownGraceMillis()));
            Method resolve = MultiLangDaemonConfiguration.class.getDeclaredMethod(
                    "resolvedConfiguration", ShardRecordProcessorFactory.class);
            resolve.setAccessible(true);
            Object resolved = resolve.invoke(configuration, daemon.getRecordProcessorFactory());
            walk(resolved, "", 0, dump, new IdentityHashMap<>());
        } catch (Throwable error) {
            Throwable cause = error;
            while ((cause instanceof InvocationTargetException || cause.getCause() != null)
                    && cause.getCause() != null
                    && cause.getCause() != cause) {
                cause = cause instanceof InvocationTargetException
                        ? ((InvocationTargetException) cause).getTargetException()
                        : cause.getCause();
            }
            status = "refused: " + cause.getClass().getSimpleName() + ": " + cause.getMessage();
        } finally {
            // The clients are not closed: closing waits for Netty's quiet period (seconds per case),
            // and they never opened a connection. The JVM exits once every case is done.
            if (executor != null) executor.shutdownNow();
        }
        System.out.println(id + "\tSTATUS\t" + clean(status));
        for (Map.Entry<String, String> entry : dump.entrySet()) {
            System.out.println(id + "\t" + entry.getKey() + "\t" + clean(entry.getValue()));
        }
    }

    private static String clean(String text) {
        return text == null ? "null" : text.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    /** The providers of a credentials chain without their lazily resolved state (depth >= 2). */
    private static String outline(String text) {
        StringBuilder out = new StringBuilder();
        int depth = 0;
        for (char c : text.toCharArray()) {
            if (c == '(') depth++;
            if (depth < 2 || (c == ')' && depth == 2)) out.append(c);
            if (c == ')') depth--;
        }
        return out.toString();
    }

    private static boolean simple(Object value) {
        return value == null
                || value instanceof CharSequence
                || value instanceof Number
                || value instanceof Boolean
                || value instanceof Character
                || value instanceof Enum
                || value instanceof Class
                || value instanceof java.util.Date
                || value.getClass().getName().startsWith("java.time.")
                || value.getClass().getName().startsWith("java.net.")
                || value.getClass().getName().equals("software.amazon.awssdk.regions.Region")
                || value.getClass().getName().startsWith("software.amazon.awssdk.services.dynamodb.model.");
    }

    private static String text(Object value) {
        if (value instanceof Class) return ((Class<?>) value).getName();
        if (value instanceof java.util.Date) return "epoch second " + ((java.util.Date) value).getTime() / 1000;
        return String.valueOf(value);
    }

    private static String typeName(Object value) {
        // Lambda classes carry an address: keep the stable part.
        return value.getClass().getName().replaceAll("/0x[0-9a-f]+", "").replaceAll("\\$\\$Lambda.*", "\\$\\$Lambda");
    }

    private static void walk(
            Object value,
            String path,
            int depth,
            Map<String, String> dump,
            IdentityHashMap<Object, Boolean> seen) {
        if (simple(value)) {
            dump.put(path, text(value));
            return;
        }
        if (value instanceof Optional) {
            Optional<?> optional = (Optional<?>) value;
            dump.put(path, optional.isPresent() ? "Optional[" + text(optional.get()) + "]" : "Optional.empty");
            return;
        }
        if (value instanceof Collection && !((Collection<?>) value).isEmpty()
                && ((Collection<?>) value).stream().allMatch(item -> item != null
                        && item.getClass().getName().startsWith("software.amazon.kinesis.")
                        && !item.getClass().getName().startsWith("software.amazon.kinesis.multilang."))) {
            // KCL objects in a collection (a stream tracker's StreamConfig): each one, in order.
            int index = 0;
            for (Object item : (Collection<?>) value) walk(item, path + "[" + index++ + "]", depth + 1, dump, seen);
            return;
        }
        if (value instanceof Collection || value.getClass().isArray()) {
            List<String> items = new ArrayList<>();
            if (value instanceof Collection) {
                for (Object item : (Collection<?>) value) items.add(simple(item) ? text(item) : typeName(item));
            } else {
                for (int i = 0; i < Array.getLength(value); i++) {
                    Object item = Array.get(value, i);
                    items.add(simple(item) ? text(item) : typeName(item));
                }
            }
            Collections.sort(items);
            dump.put(path, items.toString());
            return;
        }
        if (value instanceof SdkClient) {
            SdkClient client = (SdkClient) value;
            Object configuration = client.serviceClientConfiguration();
            dump.put(path + ".client", client.serviceName());
            if (configuration instanceof AwsServiceClientConfiguration) {
                AwsServiceClientConfiguration aws = (AwsServiceClientConfiguration) configuration;
                dump.put(path + ".region", String.valueOf(aws.region()));
                dump.put(path + ".endpointOverride", String.valueOf(aws.endpointOverride().orElse(null)));
                dump.put(path + ".credentialsProvider", outline(String.valueOf(aws.credentialsProvider())));
            }
            return;
        }
        if (value instanceof ExecutorService || value instanceof Map || value instanceof Thread) {
            dump.put(path, typeName(value));
            return;
        }
        String className = value.getClass().getName();
        // Only what KCL was given: not the daemon's own holders of the raw values
        // (MultiLangDaemonConfiguration and its beans, reachable from the processor factory).
        boolean kcl = className.startsWith("software.amazon.kinesis.")
                && !className.startsWith("software.amazon.kinesis.multilang.");
        if ((!kcl && depth > 0) || depth >= MAX_DEPTH || seen.containsKey(value)) {
            dump.put(path, typeName(value));
            return;
        }
        seen.put(value, true);
        dump.put(path, typeName(value));
        for (Class<?> type = value.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.isSynthetic()) continue;
                Object child;
                try {
                    field.setAccessible(true);
                    child = field.get(value);
                } catch (RuntimeException | IllegalAccessException error) {
                    continue;
                }
                walk(child, path.isEmpty() ? field.getName() : path + "." + field.getName(), depth + 1, dump, seen);
            }
        }
    }
}
