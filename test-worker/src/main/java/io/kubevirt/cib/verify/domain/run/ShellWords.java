package io.kubevirt.cib.verify.domain.run;

import java.util.List;
import java.util.stream.Collectors;

/** POSIX shell quoting for command lines sent over SSH, where the remote login shell parses them again. */
public final class ShellWords {

    private ShellWords() {
    }

    /** {@code it's} becomes {@code 'it'"'"'s'}: safe for any content, including newlines. */
    public static String quote(String word) {
        if (!word.isEmpty() && word.matches("[A-Za-z0-9_@%+=:,./-]+")) {
            return word;
        }
        return "'" + word.replace("'", "'\"'\"'") + "'";
    }

    public static String join(List<String> words) {
        return words.stream().map(ShellWords::quote).collect(Collectors.joining(" "));
    }
}
