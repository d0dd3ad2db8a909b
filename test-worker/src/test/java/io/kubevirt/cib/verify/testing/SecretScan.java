package io.kubevirt.cib.verify.testing;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/** The forms a private key could take if it leaked into text: PKCS#8, PEM body, and the raw secret number. */
public final class SecretScan {

    private SecretScan() {
    }

    public static List<String> privateKeyForms(KeyPair pair) {
        List<String> forms = new ArrayList<>();
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        String base64 = Base64.getEncoder().encodeToString(pkcs8);
        forms.add(base64);
        forms.add(base64.substring(0, 40));
        forms.add(Base64.getMimeEncoder().encodeToString(pkcs8).split("\r\n")[0]);
        forms.add(HexFormat.of().formatHex(pkcs8));
        if (pair.getPrivate() instanceof ECPrivateKey) {
            BigInteger s = ((ECPrivateKey) pair.getPrivate()).getS();
            forms.add(s.toString());
            forms.add(s.toString(16));
            forms.add(Base64.getEncoder().encodeToString(s.toByteArray()));
        }
        forms.add("PRIVATE KEY");
        return forms;
    }

    /** The first form found in {@code text}, or null. */
    public static String findIn(String text, KeyPair pair) {
        for (String form : privateKeyForms(pair)) {
            if (text.contains(form)) {
                return form.length() > 12 ? form.substring(0, 12) + "..." : form;
            }
        }
        return null;
    }
}
