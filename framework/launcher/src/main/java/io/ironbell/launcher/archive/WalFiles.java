package io.ironbell.launcher.archive;

import java.util.regex.Pattern;

/** PostgreSQL's names for the files of its write-ahead log, as its archiver hands them over. */
final class WalFiles {

    /** A segment: timeline, log and segment number, 8 hex digits each. */
    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
    /** What the archive may hold: segments, a timeline's history, a backup's history file, a last partial segment. */
    private static final Pattern ARCHIVED = Pattern.compile("[0-9A-F]{24}(\\.partial|\\.[0-9A-F]{8}\\.backup)?|[0-9A-F]{8}\\.history");

    private WalFiles() {
    }

    static boolean isSegment(String name) {
        return SEGMENT.matcher(name).matches();
    }

    /** True for a name PostgreSQL's archiver produces (and not, say, basic_archive's temporary files). */
    static boolean isArchivable(String name) {
        return ARCHIVED.matcher(name).matches();
    }

    /**
     * The position in the log that a segment-based name starts at, timeline left out (segment
     * numbers go on rising across timelines), for comparing; null for a history file.
     */
    static String position(String name) {
        return name.length() >= 24 && SEGMENT.matcher(name.substring(0, 24)).matches() ? name.substring(8, 24) : null;
    }
}
