"""AES-GMAC (RFC 4543) for scapy's IPsec layer, which 2.5 lacks.

Importing this module registers it in scapy.layers.ipsec.CRYPT_ALGOS as
"AES-GMAC", for the scapy cross-check and the live tunnel tests alike.
"""
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.layers.ipsec import ESP, CRYPT_ALGOS, CryptAlgo, IPSecIntegrityError, _ESPPlain

# It is computed with python3-cryptography and plugged into scapy's ESP framing.  It is AES-GCM
# with nothing encrypted: AAD = SPI | sequence number (ESN: high | low) | IV |
# plaintext, nonce = salt | IV, ICV = the 16-byte tag.

def _esp_aad(spi, seq, esn_en, esn):
    return struct.pack("!LLL", spi, esn, seq) if esn_en else struct.pack("!LL", spi, seq)


class GmacAlgo(CryptAlgo):
    def __init__(self):
        super().__init__("AES-GMAC", cipher=AESGCM, mode=None, key_size=(16, 32),
                         block_size=1, iv_size=8, salt_size=4, icv_size=16)

    def encrypt(self, sa, esp, key, icv_size=None, esn_en=False, esn=0):
        data = esp.data_for_encryption()
        aad = _esp_aad(esp.spi, esp.seq, esn_en, esn) + esp.iv + data
        tag = AESGCM(key).encrypt(sa.crypt_salt + esp.iv, b"", aad)
        return ESP(spi=esp.spi, seq=esp.seq, data=esp.iv + data + tag)

    def decrypt(self, sa, esp, key, icv_size=None, esn_en=False, esn=0):
        iv, data, icv = esp.data[:8], esp.data[8:-16], esp.data[-16:]
        aad = _esp_aad(esp.spi, esp.seq, esn_en, esn) + iv + data
        try:
            AESGCM(key).decrypt(sa.crypt_salt + iv, icv, aad)
        except InvalidTag as err:
            raise IPSecIntegrityError(err)
        padlen, nh = data[-2], data[-1]
        return _ESPPlain(spi=esp.spi, seq=esp.seq, iv=iv, data=data[:len(data) - padlen - 2],
                         padding=data[len(data) - padlen - 2:-2], padlen=padlen, nh=nh, icv=icv)


CRYPT_ALGOS["AES-GMAC"] = GmacAlgo()
