package io.ironbell.api.http;

/**
 * A request a route refuses. The server answers it as
 * {@code {"code": code, "message": message}} with the given status.
 */
public class HttpException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    /**
     * @param status  HTTP status, 4xx for the client's errors, 5xx for the server's
     * @param code    stable machine-readable code, e.g. {@code invalid_field}
     * @param message what is wrong, naming the field or the resource
     */
    public HttpException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public HttpException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    /** 400 {@code bad_request}. */
    public static HttpException badRequest(String message) {
        return new HttpException(400, "bad_request", message);
    }

    /** 404 {@code not_found}. */
    public static HttpException notFound(String message) {
        return new HttpException(404, "not_found", message);
    }

    /** Returns the HTTP status. */
    public int status() {
        return status;
    }

    /** Returns the machine-readable code. */
    public String code() {
        return code;
    }
}
