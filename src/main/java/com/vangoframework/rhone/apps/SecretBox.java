package com.vangoframework.rhone.apps;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for an app's secrets: env var values and its registry password. Output is a 12-byte
 * random nonce followed by ciphertext and the 128-bit tag. The app id and what the value is (the
 * env var's name, or "registry password") are authenticated as associated data, so a value
 * copied onto another app, name or column in the database fails to decrypt instead of leaking.
 */
public final class SecretBox {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    public SecretBox(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("the secret key must be 32 bytes (AES-256), got " + key.length);
        }
        this.key = new SecretKeySpec(key.clone(), "AES");
    }

    public byte[] encrypt(long appId, String name, String plaintext) {
        return seal(associatedData(appId, name), plaintext);
    }

    public String decrypt(long appId, String name, byte[] box) {
        return open(associatedData(appId, name), box, "env var " + name + " of app " + appId);
    }

    /** An app's registry password; bound to the app and to this purpose, never valid as an env var. */
    public byte[] encryptRegistryPassword(long appId, String password) {
        return seal(registryData(appId), password);
    }

    public String decryptRegistryPassword(long appId, byte[] box) {
        return open(registryData(appId), box, "the registry password of app " + appId);
    }

    private byte[] seal(byte[] associatedData, String plaintext) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData);
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    private String open(byte[] associatedData, byte[] box, String what) {
        if (box.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new IllegalArgumentException(what + " holds no valid ciphertext");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, Arrays.copyOf(box, NONCE_BYTES)));
            cipher.updateAAD(associatedData);
            byte[] plain = cipher.doFinal(box, NONCE_BYTES, box.length - NONCE_BYTES);
            return new String(plain, StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            // Deliberately no cause text: it says nothing useful and the operator needs the fix.
            throw new IllegalStateException(what
                    + " cannot be decrypted: RHONE_SECRET_KEY differs from the key it was stored with");
        }
    }

    /**
     * A keyed fingerprint of {@code data} (HMAC-SHA256 under a key derived from the env var key):
     * it changes whenever the data does, but unlike a plain hash it cannot be brute-forced by
     * whoever sees it (it travels as a build arg and may end up in an image's history).
     */
    public String fingerprint(String purpose, String data) {
        try {
            javax.crypto.Mac derive = javax.crypto.Mac.getInstance("HmacSHA256");
            derive.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
            byte[] subKey = derive.doFinal(("rhone-fingerprint:" + purpose).getBytes(StandardCharsets.UTF_8));
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(subKey, "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 failed", e);
        }
    }

    private static byte[] associatedData(long appId, String name) {
        return ("rhone-env:" + appId + ":" + name).getBytes(StandardCharsets.UTF_8);
    }

    /** A prefix of its own, so it can never equal an env var's associated data. */
    private static byte[] registryData(long appId) {
        return ("rhone-registry-password:" + appId).getBytes(StandardCharsets.UTF_8);
    }
}
