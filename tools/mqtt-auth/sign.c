#include "sign.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

bool otagw_sign_method_parse(const char *text, size_t len, enum otagw_sign_method *out)
{
	static const struct {
		const char *name;
		enum otagw_sign_method method;
	} names[] = {
		{"hmacsha256", OTAGW_SIGN_HMACSHA256},
		{"hmacsha1", OTAGW_SIGN_HMACSHA1},
		{"hmacmd5", OTAGW_SIGN_HMACMD5},
	};
	for(size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++){
		size_t n = strlen(names[i].name);
		if(n != len) continue;
		size_t j = 0;
		/* ASCII-only fold: the SDKs write hmacsha256 or hmacSha256. */
		while(j < n){
			char c = text[j];
			if(c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
			if(c != names[i].name[j]) break;
			j++;
		}
		if(j == n){
			*out = names[i].method;
			return true;
		}
	}
	return false;
}

static const EVP_MD *digest_of(enum otagw_sign_method method)
{
	switch(method){
		case OTAGW_SIGN_HMACSHA256: return EVP_sha256();
		case OTAGW_SIGN_HMACSHA1: return EVP_sha1();
		case OTAGW_SIGN_HMACMD5: return EVP_md5();
	}
	return NULL;
}

bool otagw_sign_check(enum otagw_sign_method method, const char *secret,
                      const char *message, size_t message_len, const char *password)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char expected[2 * EVP_MAX_MD_SIZE];
	char given[2 * EVP_MAX_MD_SIZE];
	const EVP_MD *md = digest_of(method);
	bool ok = false;

	if(md == NULL || secret == NULL || password == NULL) return false;
	/* HMAC() (one-shot) is not deprecated in OpenSSL 3, unlike HMAC_CTX. */
	if(HMAC(md, secret, (int)strlen(secret), (const unsigned char *)message, message_len,
	        mac, &mac_len) == NULL){
		return false;
	}
	/* The length is public (fixed per method), so leaving early on it leaks nothing. */
	if(strnlen(password, sizeof(given) + 1) != 2u * mac_len) goto out;

	for(unsigned int i = 0; i < mac_len; i++){
		expected[2 * i] = hex[mac[i] >> 4];
		expected[2 * i + 1] = hex[mac[i] & 0x0f];
	}
	for(unsigned int i = 0; i < 2 * mac_len; i++){
		char c = password[i];
		/* Branch-free fold of A-F to a-f; other bytes stay as they are and mismatch. */
		unsigned char upper = (unsigned char)((unsigned char)(c - 'A') < 6u);
		given[i] = (char)(c | (char)(upper << 5));
	}
	ok = CRYPTO_memcmp(expected, given, 2u * mac_len) == 0;
out:
	/* The expected password is as good as the secret for this client id: wipe it. */
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(expected, sizeof(expected));
	OPENSSL_cleanse(given, sizeof(given));
	return ok;
}

bool otagw_equal_ct(const char *a, const char *b)
{
	unsigned char da[32], db[32];
	unsigned int la = 0, lb = 0;
	bool ok;

	if(a == NULL || b == NULL) return false;
	if(!EVP_Digest(a, strlen(a), da, &la, EVP_sha256(), NULL)) return false;
	if(!EVP_Digest(b, strlen(b), db, &lb, EVP_sha256(), NULL)) return false;
	ok = la == lb && CRYPTO_memcmp(da, db, la) == 0;
	OPENSSL_cleanse(da, sizeof(da));
	OPENSSL_cleanse(db, sizeof(db));
	return ok;
}
