/* SPDX-License-Identifier: MIT */
/*
 * Every IKEv2 wire constant in one place: sizes, header flags, and the
 * numbers of the IANA "Internet Key Exchange Version 2 (IKEv2) Parameters"
 * registry that RFC 7296 and the extensions uipsec knows define.  Values a
 * peer sends that are not listed here are still carried by the codec; only
 * the state machine decides what it accepts.
 */
#ifndef UIPSEC_IKE_WIRE_H
#define UIPSEC_IKE_WIRE_H

/* Sizes (RFC 7296 3.1-3.16). */
#define IKE_HDR_LEN           28 /* SPIi, SPIr, next, version, exchange, flags, ID, length */
#define IKE_SPI_LEN           8
#define IKE_CHILD_SPI_LEN     4 /* AH and ESP SPIs */
#define IKE_PAYLOAD_HDR_LEN   4 /* generic payload header: next, C|reserved, length */
#define IKE_PROPOSAL_HDR_LEN  8 /* without the SPI */
#define IKE_TRANSFORM_HDR_LEN 8
#define IKE_ATTR_HDR_LEN      4
#define IKE_TS_HDR_LEN        8 /* type, protocol, length, start port, end port */
#define IKE_TS_IPV4_LEN       16
#define IKE_TS_IPV6_LEN       40
#define IKE_SKF_HDR_LEN       4  /* fragment number, total fragments (RFC 7383 2.5) */
#define IKE_NONCE_MIN         16 /* RFC 7296 3.9 */
#define IKE_NONCE_MAX         256
#define IKE_COOKIE_MAX        64 /* RFC 7296 2.6 */
#define IKE_NAT_DETECTION_LEN 20 /* SHA-1 output (RFC 7296 2.23) */
#define IKE_CERTREQ_HASH_LEN  20 /* SHA-1 of a CA's public key (3.7) */
#define IKE_PORT              500
#define IKE_NATT_PORT         4500

/* Header (3.1). */
#define IKE_VERSION          0x20 /* major 2, minor 0 */
#define IKE_MAJOR_VERSION    2
#define IKE_FLAG_I           0x08 /* sent by the original initiator */
#define IKE_FLAG_V           0x10 /* can speak a higher major version */
#define IKE_FLAG_R           0x20 /* a response */
#define IKE_FLAGS_KNOWN      (IKE_FLAG_I | IKE_FLAG_V | IKE_FLAG_R)
#define IKE_PAYLOAD_CRITICAL 0x80 /* in the generic header's second octet (3.2) */

/* Exchange types. */
#define IKE_EXCH_IKE_SA_INIT        34
#define IKE_EXCH_IKE_AUTH           35
#define IKE_EXCH_CREATE_CHILD_SA    36
#define IKE_EXCH_INFORMATIONAL      37
#define IKE_EXCH_IKE_SESSION_RESUME 38 /* RFC 5723 */
#define IKE_EXCH_IKE_INTERMEDIATE   43 /* RFC 9242 */
#define IKE_EXCH_IKE_FOLLOWUP_KE    44 /* RFC 9370 */

/* Payload types. */
#define IKE_PL_NONE    0
#define IKE_PL_SA      33
#define IKE_PL_KE      34
#define IKE_PL_IDI     35
#define IKE_PL_IDR     36
#define IKE_PL_CERT    37
#define IKE_PL_CERTREQ 38
#define IKE_PL_AUTH    39
#define IKE_PL_NONCE   40
#define IKE_PL_NOTIFY  41
#define IKE_PL_DELETE  42
#define IKE_PL_VENDOR  43
#define IKE_PL_TSI     44
#define IKE_PL_TSR     45
#define IKE_PL_SK      46
#define IKE_PL_CP      47
#define IKE_PL_EAP     48
#define IKE_PL_GSPM    49 /* RFC 6467; not decoded */
#define IKE_PL_SKF     53 /* Encrypted Fragment, RFC 7383 */
#define IKE_PL_PS      54 /* Puzzle Solution, RFC 8019; not decoded */

/* Proposal and transform substructures (3.3.1, 3.3.2). */
#define IKE_PROPOSAL_LAST   0
#define IKE_PROPOSAL_MORE   2
#define IKE_TRANSFORM_LAST  0
#define IKE_TRANSFORM_MORE  3
#define IKE_ATTR_TV         0x8000 /* attribute format bit: type/value, no length */
#define IKE_ATTR_KEY_LENGTH 14     /* in bits, TV format (3.3.5) */

/* Protocol IDs (3.3.1; also in Notify and Delete). */
#define IKE_PROTO_NONE 0
#define IKE_PROTO_IKE  1
#define IKE_PROTO_AH   2
#define IKE_PROTO_ESP  3

/* Transform types (3.3.2). */
#define IKE_TRANSFORM_ENCR   1
#define IKE_TRANSFORM_PRF    2
#define IKE_TRANSFORM_INTEG  3
#define IKE_TRANSFORM_DH     4 /* "Key Exchange Method" since RFC 9370 */
#define IKE_TRANSFORM_ESN    5
#define IKE_TRANSFORM_ADDKE1 6 /* RFC 9370: ADDKE1..ADDKE7 are 6..12 */
#define IKE_TRANSFORM_ADDKE7 12

/* Transform type 1: encryption algorithms. */
#define IKE_ENCR_3DES               3
#define IKE_ENCR_NULL               11 /* ESP only */
#define IKE_ENCR_AES_CBC            12 /* RFC 3602, Key Length required */
#define IKE_ENCR_AES_CTR            13 /* RFC 5930 */
#define IKE_ENCR_AES_CCM_8          14 /* RFC 4309, RFC 5282 */
#define IKE_ENCR_AES_CCM_12         15
#define IKE_ENCR_AES_CCM_16         16
#define IKE_ENCR_AES_GCM_8          18 /* RFC 4106, RFC 5282 */
#define IKE_ENCR_AES_GCM_12         19
#define IKE_ENCR_AES_GCM_16         20
#define IKE_ENCR_NULL_AUTH_AES_GMAC 21 /* RFC 4543, ESP only */
#define IKE_ENCR_CAMELLIA_CBC       23 /* RFC 5529 */
#define IKE_ENCR_CHACHA20_POLY1305  28 /* RFC 7634 */

/* Transform type 2: pseudorandom functions. */
#define IKE_PRF_HMAC_MD5      1
#define IKE_PRF_HMAC_SHA1     2
#define IKE_PRF_AES128_XCBC   4 /* RFC 4434 */
#define IKE_PRF_HMAC_SHA2_256 5 /* RFC 4868 */
#define IKE_PRF_HMAC_SHA2_384 6
#define IKE_PRF_HMAC_SHA2_512 7
#define IKE_PRF_AES128_CMAC   8 /* RFC 4615 */

/* Transform type 3: integrity algorithms. */
#define IKE_INTEG_NONE              0
#define IKE_INTEG_HMAC_MD5_96       1
#define IKE_INTEG_HMAC_SHA1_96      2
#define IKE_INTEG_AES_XCBC_96       5
#define IKE_INTEG_AES_CMAC_96       8
#define IKE_INTEG_AES_128_GMAC      9 /* AH only (RFC 4543) */
#define IKE_INTEG_AES_192_GMAC      10
#define IKE_INTEG_AES_256_GMAC      11
#define IKE_INTEG_HMAC_SHA2_256_128 12 /* RFC 4868 */
#define IKE_INTEG_HMAC_SHA2_384_192 13
#define IKE_INTEG_HMAC_SHA2_512_256 14

/* Transform type 4: Diffie-Hellman groups (key exchange methods). */
#define IKE_DH_NONE             0
#define IKE_DH_MODP_768         1 /* RFC 7296 B.1 */
#define IKE_DH_MODP_1024        2 /* RFC 7296 B.2 */
#define IKE_DH_MODP_1536        5 /* RFC 3526 */
#define IKE_DH_MODP_2048        14
#define IKE_DH_MODP_3072        15
#define IKE_DH_MODP_4096        16
#define IKE_DH_MODP_6144        17
#define IKE_DH_MODP_8192        18
#define IKE_DH_ECP_256          19 /* RFC 5903 */
#define IKE_DH_ECP_384          20
#define IKE_DH_ECP_521          21
#define IKE_DH_MODP_1024_160    22 /* RFC 5114 */
#define IKE_DH_MODP_2048_224    23
#define IKE_DH_MODP_2048_256    24
#define IKE_DH_ECP_192          25
#define IKE_DH_ECP_224          26
#define IKE_DH_BRAINPOOL_P224R1 27 /* RFC 6954 */
#define IKE_DH_BRAINPOOL_P256R1 28
#define IKE_DH_BRAINPOOL_P384R1 29
#define IKE_DH_BRAINPOOL_P512R1 30
#define IKE_DH_CURVE25519       31 /* RFC 8031 */
#define IKE_DH_CURVE448         32

/* Transform type 5: extended sequence numbers. */
#define IKE_ESN_NO  0
#define IKE_ESN_YES 1

/* Identification types (3.5). */
#define IKE_ID_IPV4_ADDR   1
#define IKE_ID_FQDN        2
#define IKE_ID_RFC822_ADDR 3
#define IKE_ID_IPV6_ADDR   5
#define IKE_ID_DER_ASN1_DN 9
#define IKE_ID_DER_ASN1_GN 10
#define IKE_ID_KEY_ID      11
#define IKE_ID_FC_NAME     12 /* RFC 4595 */
#define IKE_ID_NULL        13 /* RFC 7619: empty data */

/* Certificate encodings (3.6). */
#define IKE_CERT_PKCS7_X509           1
#define IKE_CERT_PGP                  2
#define IKE_CERT_DNS_SIGNED_KEY       3
#define IKE_CERT_X509_SIGNATURE       4
#define IKE_CERT_KERBEROS_TOKEN       6
#define IKE_CERT_CRL                  7
#define IKE_CERT_ARL                  8
#define IKE_CERT_SPKI                 9
#define IKE_CERT_X509_ATTRIBUTE       10
#define IKE_CERT_HASH_URL_X509        12
#define IKE_CERT_HASH_URL_X509_BUNDLE 13
#define IKE_CERT_OCSP_CONTENT         14 /* RFC 4806 */
#define IKE_CERT_RAW_PUBLIC_KEY       15 /* RFC 7670 */

/* Authentication methods (3.8). */
#define IKE_AUTH_RSA_SIG           1
#define IKE_AUTH_PSK               2 /* "Shared Key Message Integrity Code" */
#define IKE_AUTH_DSS_SIG           3
#define IKE_AUTH_ECDSA_SHA256_P256 9 /* RFC 4754 */
#define IKE_AUTH_ECDSA_SHA384_P384 10
#define IKE_AUTH_ECDSA_SHA512_P521 11
#define IKE_AUTH_NULL              13 /* RFC 7619 */
#define IKE_AUTH_DIGITAL_SIGNATURE 14 /* RFC 7427 */

/* Hash algorithms in SIGNATURE_HASH_ALGORITHMS (RFC 7427, RFC 8420). */
#define IKE_HASH_SHA1     1
#define IKE_HASH_SHA2_256 2
#define IKE_HASH_SHA2_384 3
#define IKE_HASH_SHA2_512 4
#define IKE_HASH_IDENTITY 5

/* Notify message types (3.10.1): errors below 16384, status above. */
#define IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD 1 /* data: the payload type, 1 byte */
#define IKE_N_INVALID_IKE_SPI              4
#define IKE_N_INVALID_MAJOR_VERSION        5
#define IKE_N_INVALID_SYNTAX               7
#define IKE_N_INVALID_MESSAGE_ID           9 /* data: the message ID, 4 bytes */
#define IKE_N_INVALID_SPI                  11
#define IKE_N_NO_PROPOSAL_CHOSEN           14
#define IKE_N_INVALID_KE_PAYLOAD           17 /* data: the accepted group, 2 bytes */
#define IKE_N_AUTHENTICATION_FAILED        24
#define IKE_N_SINGLE_PAIR_REQUIRED         34
#define IKE_N_NO_ADDITIONAL_SAS            35
#define IKE_N_INTERNAL_ADDRESS_FAILURE     36
#define IKE_N_FAILED_CP_REQUIRED           37
#define IKE_N_TS_UNACCEPTABLE              38
#define IKE_N_INVALID_SELECTORS            39
#define IKE_N_UNACCEPTABLE_ADDRESSES       40 /* RFC 4555 */
#define IKE_N_UNEXPECTED_NAT_DETECTED      41 /* RFC 4555 */
#define IKE_N_TEMPORARY_FAILURE            43
#define IKE_N_CHILD_SA_NOT_FOUND           44
#define IKE_N_ERROR_MAX                    16383

#define IKE_N_INITIAL_CONTACT                 16384
#define IKE_N_SET_WINDOW_SIZE                 16385 /* data: 4 bytes */
#define IKE_N_ADDITIONAL_TS_POSSIBLE          16386
#define IKE_N_IPCOMP_SUPPORTED                16387
#define IKE_N_NAT_DETECTION_SOURCE_IP         16388
#define IKE_N_NAT_DETECTION_DESTINATION_IP    16389
#define IKE_N_COOKIE                          16390
#define IKE_N_USE_TRANSPORT_MODE              16391
#define IKE_N_HTTP_CERT_LOOKUP_SUPPORTED      16392
#define IKE_N_REKEY_SA                        16393
#define IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED   16394
#define IKE_N_NON_FIRST_FRAGMENTS_ALSO        16395
#define IKE_N_MOBIKE_SUPPORTED                16396 /* RFC 4555 */
#define IKE_N_ADDITIONAL_IP4_ADDRESS          16397
#define IKE_N_ADDITIONAL_IP6_ADDRESS          16398
#define IKE_N_NO_ADDITIONAL_ADDRESSES         16399
#define IKE_N_UPDATE_SA_ADDRESSES             16400
#define IKE_N_COOKIE2                         16401
#define IKE_N_NO_NATS_ALLOWED                 16402
#define IKE_N_AUTH_LIFETIME                   16403 /* RFC 4478 */
#define IKE_N_MULTIPLE_AUTH_SUPPORTED         16404 /* RFC 4739 */
#define IKE_N_ANOTHER_AUTH_FOLLOWS            16405
#define IKE_N_REDIRECT_SUPPORTED              16406 /* RFC 5685 */
#define IKE_N_REDIRECT                        16407
#define IKE_N_REDIRECTED_FROM                 16408
#define IKE_N_EAP_ONLY_AUTHENTICATION         16417 /* RFC 5998 */
#define IKE_N_CHILDLESS_IKEV2_SUPPORTED       16418 /* RFC 6023 */
#define IKE_N_IKEV2_FRAGMENTATION_SUPPORTED   16430 /* RFC 7383 */
#define IKE_N_SIGNATURE_HASH_ALGORITHMS       16431 /* RFC 7427: 2-byte hash IDs */
#define IKE_N_USE_PPK                         16435 /* RFC 8784 */
#define IKE_N_PPK_IDENTITY                    16436
#define IKE_N_NO_PPK_AUTH                     16437
#define IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED 16438 /* RFC 9242 */
#define IKE_N_ADDITIONAL_KEY_EXCHANGE         16441 /* RFC 9370 */
#define IKE_N_USE_AGGFRAG                     16442 /* RFC 9347 */

/* Traffic selector types (3.13.1). */
#define IKE_TS_IPV4_ADDR_RANGE   7
#define IKE_TS_IPV6_ADDR_RANGE   8
#define IKE_TS_PORT_OPAQUE_START 65535 /* start 65535, end 0: OPAQUE ports */
#define IKE_TS_PORT_OPAQUE_END   0

/* Configuration payload (3.15): CFG types and attribute types. */
#define IKE_CFG_REQUEST          1
#define IKE_CFG_REPLY            2
#define IKE_CFG_SET              3
#define IKE_CFG_ACK              4
#define IKE_CP_ATTR_RESERVED_BIT 0x8000 /* ignored on receipt (3.15.1) */

#define IKE_CP_INTERNAL_IP4_ADDRESS 1  /* 0 or 4 bytes */
#define IKE_CP_INTERNAL_IP4_NETMASK 2  /* 0 or 4 */
#define IKE_CP_INTERNAL_IP4_DNS     3  /* 0 or 4 */
#define IKE_CP_INTERNAL_IP4_NBNS    4  /* 0 or 4 */
#define IKE_CP_INTERNAL_IP4_DHCP    6  /* 0 or 4 */
#define IKE_CP_APPLICATION_VERSION  7  /* any */
#define IKE_CP_INTERNAL_IP6_ADDRESS 8  /* 0 or 17: address and prefix length */
#define IKE_CP_INTERNAL_IP6_DNS     10 /* 0 or 16 */
#define IKE_CP_INTERNAL_IP6_DHCP    12 /* 0 or 16 */
#define IKE_CP_INTERNAL_IP4_SUBNET  13 /* 0 or 8 */
#define IKE_CP_SUPPORTED_ATTRIBUTES 14 /* a list of 2-byte types */
#define IKE_CP_INTERNAL_IP6_SUBNET  15 /* 0 or 17 */
#define IKE_CP_INTERNAL_DNS_DOMAIN  25 /* RFC 8598 */

#endif
