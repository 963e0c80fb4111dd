package io.ironbell.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerTest {

    @Test
    void secretsNeverReachTheLog() {
        assertEquals(Map.of("token", "****", "password", "****", "jdbc.url", "jdbc:postgresql://db/ironbell", "user", "ironbell",
                        "tokenFile", "****", "emptyPassword", ""),
                Container.redacted(Map.of("token", "s3cret-token", "password", "pw", "jdbc.url", "jdbc:postgresql://db/ironbell",
                        "user", "ironbell", "tokenFile", "/x", "emptyPassword", "")));
    }
}
