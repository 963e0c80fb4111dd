package io.ironbell.engine.internal.gotemplate;

/** Go's path package (slash-separated paths, lexical only): Clean, Base, Dir, Ext. */
final class GoPaths {

    private GoPaths() {
    }

    static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        boolean rooted = path.charAt(0) == '/';
        int n = path.length();
        StringBuilder out = new StringBuilder();
        int r = 0;
        int dotdot = 0;
        if (rooted) {
            out.append('/');
            r = 1;
            dotdot = 1;
        }
        while (r < n) {
            if (path.charAt(r) == '/') {
                r++;
            } else if (path.charAt(r) == '.' && (r + 1 == n || path.charAt(r + 1) == '/')) {
                r++;
            } else if (path.charAt(r) == '.' && path.charAt(r + 1) == '.' && (r + 2 == n || path.charAt(r + 2) == '/')) {
                r += 2;
                if (out.length() > dotdot) {
                    int w = out.length() - 1;
                    while (w > dotdot && out.charAt(w) != '/') {
                        w--;
                    }
                    out.setLength(w);
                } else if (!rooted) {
                    if (out.length() > 0) {
                        out.append('/');
                    }
                    out.append("..");
                    dotdot = out.length();
                }
            } else {
                if (rooted && out.length() != 1 || !rooted && out.length() != 0) {
                    out.append('/');
                }
                for (; r < n && path.charAt(r) != '/'; r++) {
                    out.append(path.charAt(r));
                }
            }
        }
        if (out.length() == 0) {
            return ".";
        }
        return out.toString();
    }

    static String base(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        while (path.length() > 0 && path.charAt(path.length() - 1) == '/') {
            path = path.substring(0, path.length() - 1);
        }
        int i = path.lastIndexOf('/');
        if (i >= 0) {
            path = path.substring(i + 1);
        }
        return path.isEmpty() ? "/" : path;
    }

    static String dir(String path) {
        int i = path.lastIndexOf('/');
        return clean(path.substring(0, i + 1));
    }

    static String ext(String path) {
        for (int i = path.length() - 1; i >= 0 && path.charAt(i) != '/'; i--) {
            if (path.charAt(i) == '.') {
                return path.substring(i);
            }
        }
        return "";
    }
}
