package io.ironbell.launcher;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void theWorkerRefusesToStartWithoutAUsableServerOrMac() {
        assertDoesNotThrow(() -> Main.checkWorker("http://10.0.0.1:8080", "52:54:00:12:34:56"));
        assertDoesNotThrow(() -> Main.checkWorker("https://ironbell.example", "52-54-00-AB-CD-EF"));
        assertTrue(assertThrows(SettingsException.class, () -> Main.checkWorker("", "52:54:00:12:34:56")).getMessage()
                .contains("needs --server URL and --id MAC"));
        assertTrue(assertThrows(SettingsException.class, () -> Main.checkWorker("10.0.0.1:8080", "52:54:00:12:34:56")).getMessage()
                .contains("--server must be the server's http(s)://host:port, was '10.0.0.1:8080'"));
        assertTrue(assertThrows(SettingsException.class, () -> Main.checkWorker("http://10.0.0.1", "node-7")).getMessage()
                .contains("--id must be this machine's MAC address"));
    }
}
