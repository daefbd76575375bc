/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for IKE_AUTH signatures (src/ike/sig.c): the AUTH data
 * a peer sends, and its SIGNATURE_HASH_ALGORITHMS notify.
 *
 * Input: [0] mode and method, [1] key, [2] flags, then bytes.
 *  - raw mode ([0] < 0x80): the bytes are the AUTH data of a method
 *    (1, 9, 10, 11, 14, or [0] itself), verified with a fixed key of
 *    each type; nothing may verify, nothing may crash or leak.
 *  - sign mode ([0] >= 0x80): we sign with the key, then the bytes edit
 *    the AUTH data (pairs of offset and XOR, a last odd byte truncates),
 *    so every corner of the AlgorithmIdentifier and PSS parameters is
 *    reached from a valid start.  Unedited data must verify; whatever
 *    verifies must name a scheme of the key's type.
 * The whole input is also a SIGNATURE_HASH_ALGORITHMS notify.  AUTH data
 * is copied into a buffer of exactly its size, so ASan sees any read
 * past it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ike_wire.h"
#include "sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NKEYS 6
static EVP_PKEY *keys[NKEYS]; /* kept for the whole run: LSan sees them reachable */
static const uint8_t octets[] = "ResponderSignedOctets: RealMessage2 | NonceIData | MACedIDForR";

static void keys_make(void)
{
    if (keys[0])
        return;
    keys[0] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    keys[1] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    keys[3] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    keys[4] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    keys[5] = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    for (int i = 0; i < NKEYS; i++)
        if (!keys[i])
            abort();
}

/* Decoded hashes are known ids only, and survive a round trip. */
static void hashes(const uint8_t *data, size_t size)
{
    uint8_t enc[64];
    uint32_t h, again;
    size_t n;

    if (!ike_sig_hashes_decode(data, size, &h)) {
        if (size % 2 == 0 || h)
            abort();
        return;
    }
    if (h & ~0x3eu)
        abort();
    n = ike_sig_hashes_encode(h, enc, sizeof(enc));
    if (!ike_sig_hashes_decode(enc, n, &again) || again != h || n != 2u * __builtin_popcount(h))
        abort();
}

static bool verify(int k, uint8_t method, const uint8_t *auth, size_t len, uint32_t allowed,
                   bool sha1, enum ike_sig_scheme *s)
{
    uint8_t *copy = malloc(len ? len : 1);
    char why[256];
    bool ok;

    if (!copy)
        abort();
    memcpy(copy, auth, len);
    ok = ike_sig_verify(keys[k], method, copy, len, octets, sizeof(octets) - 1, allowed, sha1, s,
                        why, sizeof(why));
    free(copy);
    if (!ok && (*s != IKE_SIG_NONE || !why[0]))
        abort(); /* a refusal always names its reason */
    return ok;
}

static void raw(uint8_t sel, int k, uint32_t allowed, bool sha1, const uint8_t *auth, size_t len)
{
    static const uint8_t methods[] = {IKE_AUTH_RSA_SIG, IKE_AUTH_ECDSA_SHA256_P256,
                                      IKE_AUTH_ECDSA_SHA384_P384, IKE_AUTH_ECDSA_SHA512_P521,
                                      IKE_AUTH_DIGITAL_SIGNATURE};
    uint8_t method = sel % 8 < 5 ? methods[sel % 8] : sel;
    enum ike_sig_scheme s;

    /* Nobody can forge a signature of a key made this run. */
    if (verify(k, method, auth, len, allowed, sha1, &s))
        abort();
}

/* The key type a scheme belongs to: RSA 0, EC 1-3, Ed25519 4, Ed448 5. */
static bool scheme_fits(enum ike_sig_scheme s, int k)
{
    if (s == IKE_SIG_ED25519 || s == IKE_SIG_ED448)
        return k == (s == IKE_SIG_ED25519 ? 4 : 5);
    if (s >= IKE_SIG_ECDSA_SHA256 && s <= IKE_SIG_ECDSA_SHA512)
        return k >= 1 && k <= 3;
    return k == 0;
}

static void signed_edit(int k, uint8_t flags, const uint8_t *edits, size_t n)
{
    uint8_t auth[IKE_SIG_MAX_AUTH], method;
    uint32_t peer = (uint32_t)(flags & 0x3e) | (flags & 1 ? 0 : 0x3c);
    bool sha1 = flags & 0x40, pss = flags & 0x80, changed = false;
    enum ike_sig_scheme s, got;
    size_t len;
    char why[256];

    if (ike_sig_pick(keys[k], peer, pss, sha1, &s, &method, why, sizeof(why)))
        return;
    if (ike_sig_sign(keys[k], s, method, octets, sizeof(octets) - 1, auth, &len, why, sizeof(why)))
        abort();
    for (size_t i = 0; i + 1 < n; i += 2) {
        changed |= edits[i + 1] != 0;
        auth[edits[i] % len] ^= edits[i + 1];
    }
    if (n % 2 && edits[n - 1] % len != 0) {
        len = edits[n - 1] % len;
        changed = true;
    }
    /* What we announce is what the peer may use: ours, plus SHA-1 if on. */
    uint32_t allowed = ike_sig_hashes_ours() | (sha1 ? 1u << IKE_HASH_SHA1 : 0);
    if (verify(k, method, auth, len, allowed, sha1, &got)) {
        if (!scheme_fits(got, k))
            abort();
    } else if (!changed) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hashes(data, size);
    if (size < 3)
        return 0;
    keys_make();
    int k = data[1] % NKEYS;
    if (data[0] & 0x80)
        signed_edit(k, data[2], data + 3, size - 3);
    else
        raw(data[0], k, (uint32_t)data[2] << 1, data[2] & 1, data + 3, size - 3);
    return 0;
}
