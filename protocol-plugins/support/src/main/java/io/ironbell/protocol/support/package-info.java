/**
 * What the protocol plugins share, copied into each by bnd ({@code -conditionalpackage}) and
 * private there: {@link io.ironbell.protocol.support.RateLimit} per caller, and
 * {@link io.ironbell.protocol.support.Tally} for counts that log at most once per interval.
 */
package io.ironbell.protocol.support;
