package io.ironbell.api.bmc;

/**
 * One sensor as read: its name, value in its unit ({@code null} when it has none to give), and
 * the BMC's word for its state ({@code ok}, {@code warning}, {@code critical}, as the BMC says).
 */
public record SensorReading(String name, Double value, String unit, String state) {
}
