package io.ironbell.api.log;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * One line of a machine's log.
 *
 * @param sequence   position in the machine's log, assigned by the store (0 before it is stored)
 * @param machine    the hardware id the line belongs to
 * @param at         when it was written at its source
 * @param source     where it came from: {@code syslog}, {@code worker}, or an action's name
 * @param severity   syslog severity name ({@code info}, {@code err}, ...), or {@code null}
 * @param text       the line, without its trailing newline
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LogLine(long sequence, String machine, Instant at, String source, String severity, String text) {
}
