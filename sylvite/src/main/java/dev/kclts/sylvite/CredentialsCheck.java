package dev.kclts.sylvite;

import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.kinesis.multilang.config.BuilderDynaBean;
import software.amazon.kinesis.multilang.config.KinesisClientLibConfigurator;
import software.amazon.kinesis.multilang.config.MultiLangDaemonConfiguration;

/**
 * kclts's {@code doctor} credentials check (not part of the daemon; the daemon never runs it).
 *
 * <pre>java -cp sylvite.jar dev.kclts.sylvite.CredentialsCheck &lt; app.properties</pre>
 *
 * Reads the daemon's properties on stdin through the daemon's own {@link KinesisClientLibConfigurator},
 * builds the credentials providers the way {@code MultiLangDaemonConfiguration.resolvedConfiguration}
 * does (Kinesis: {@code AwsCredentialsProvider}; DynamoDB and CloudWatch: their own key if set, else
 * Kinesis's), resolves each once and prints, per client, which source supplied the credentials:
 *
 * <pre>ok kinesis EnvironmentVariableCredentialsProvider
 * fail dynamodb Unable to load credentials from any of the providers in the chain ...</pre>
 *
 * Never prints a key or a secret. Exit code: 0 if every client has credentials, 1 if one has none,
 * 2 if the properties cannot be read.
 */
public final class CredentialsCheck {
    private CredentialsCheck() {}

    public static void main(String[] args) {
        MultiLangDaemonConfiguration configuration;
        try {
            configuration = new KinesisClientLibConfigurator().getConfiguration(System.in);
        } catch (RuntimeException e) {
            System.out.println("error properties " + oneLine(e));
            System.exit(2);
            return;
        }
        // clients that share a provider are checked once: "kinesis,dynamodb,cloudwatch"
        Map<BuilderDynaBean, String> builders = new LinkedHashMap<>();
        BuilderDynaBean kinesis = configuration.getKinesisCredentialsProvider();
        builders.put(kinesis, "kinesis");
        builders.merge(orElse(configuration.getDynamoDBCredentialsProvider(), kinesis), "dynamodb", CredentialsCheck::join);
        builders.merge(
                orElse(configuration.getCloudWatchCredentialsProvider(), kinesis), "cloudwatch", CredentialsCheck::join);
        boolean failed = false;
        for (Map.Entry<BuilderDynaBean, String> entry : builders.entrySet()) {
            try {
                AwsCredentialsProvider provider = entry.getKey().build(AwsCredentialsProvider.class);
                AwsCredentials credentials = provider.resolveCredentials();
                String source = credentials.providerName().orElse(provider.getClass().getSimpleName());
                System.out.println("ok " + entry.getValue() + " " + oneLine(source));
            } catch (RuntimeException e) {
                failed = true;
                System.out.println("fail " + entry.getValue() + " " + reasons(e));
            }
        }
        System.out.flush();
        System.exit(failed ? 1 : 0);
    }

    private static BuilderDynaBean orElse(BuilderDynaBean own, BuilderDynaBean fallback) {
        return own.isDirty() ? own : fallback;
    }

    private static String join(String a, String b) {
        return a + "," + b;
    }

    /** The innermost chain's "Provider(): reason, ..." list (the SDK nests one chain per level), else the message. */
    private static String reasons(Throwable e) {
        String text = oneLine(e);
        int at = text.lastIndexOf(" : [");
        if (at < 0) return text;
        String inner = text.substring(at + 4).replaceAll("]+$", "");
        return "no credentials from any provider of the chain: " + inner;
    }

    private static String oneLine(Object value) {
        String text = value instanceof Throwable && ((Throwable) value).getMessage() != null
                ? ((Throwable) value).getMessage()
                : String.valueOf(value);
        return text.replaceAll("\\s+", " ").trim();
    }
}
