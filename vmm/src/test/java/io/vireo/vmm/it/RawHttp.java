package io.vireo.vmm.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** HTTP/1.1 by hand over a Unix socket: for requests no well-behaved client sends (garbage, half-closed, unread). */
final class RawHttp {
    /** A status and a body, as the server sent them. */
    record Answer(int status, String body) {
    }

    private RawHttp() {
    }

    static SocketChannel connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    static void send(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static byte[] request(String method, String path, String body) {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n") + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + b.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(b, 0, all, h.length, b.length);
        return all;
    }

    /** Reads to the end of the stream (the requests say Connection: close) and splits status and body. */
    static Answer read(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8192);
        while (ch.read(b) >= 0) {
            out.write(b.array(), 0, b.position());
            b.clear();
        }
        String text = out.toString(StandardCharsets.UTF_8);
        int sp = text.indexOf(' ');
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || sp < 0 || end < 0) {
            return new Answer(-1, text);
        }
        return new Answer(Integer.parseInt(text.substring(sp + 1, sp + 4)), text.substring(end + 4));
    }

    /**
     * Sends {@code request} and reads the answer. A server that answers an error early may close before taking all of
     * it (a broken pipe here): its answer is still there to read.
     */
    static Answer exchange(Path socket, byte[] request) throws IOException {
        try (SocketChannel ch = connect(socket)) {
            try {
                send(ch, request);
            } catch (IOException closedEarly) {
                // read what it answered
            }
            return read(ch);
        }
    }
}
