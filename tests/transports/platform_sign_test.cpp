// Signing vectors computed independently with the openssl CLI, e.g.
//   printf 'clientIda1GwProd01.gw-0001deviceNamegw-0001productKeya1GwProd01timestamp2524608000000' |
//     openssl dgst -sha256 -hmac 'gwSecret0123456789abcdef'
#include <catch2/catch.hpp>

#include "transports/platform_sign.hpp"

using namespace otagw::transports;
using otagw::config::Secret;

TEST_CASE("gateway MQTT sign-in matches the platform's rules", "[unit][sign]") {
  const auto tls = make_mqtt_sign_in("a1GwProd01", "gw-0001", Secret("gwSecret0123456789abcdef"), true);
  CHECK(tls.client_id == "a1GwProd01.gw-0001|securemode=2,signmethod=hmacsha256,timestamp=2524608000000|");
  CHECK(tls.username == "gw-0001&a1GwProd01");
  CHECK(tls.password.reveal() == "32472AE7A1F149F38EC5D5C1A23E08A1D3C826F0FCF51D6603F4ACB2827D184D");

  const auto plain = make_mqtt_sign_in("a1GwProd01", "gw-0001", Secret("gwSecret0123456789abcdef"), false);
  CHECK(plain.client_id == "a1GwProd01.gw-0001|securemode=3,signmethod=hmacsha256,timestamp=2524608000000|");
  CHECK(plain.password == tls.password);  // securemode is not part of the signed text
}

TEST_CASE("sub-device sign covers clientId, deviceName, productKey, timestamp", "[unit][sign]") {
  CHECK(subdevice_sign("a1SubProd1", "sub-0000", Secret("subSecretXYZ"), "1700000000123") ==
        "9a9127d6aa2ee5ab9747ebead9e633c2798b6b34fe30a4b067355c8d732ef70e");
  CHECK(subdevice_sign("a1SubProd1", "sub-0000", Secret("subSecretXYZ"), "1700000000124") !=
        "9a9127d6aa2ee5ab9747ebead9e633c2798b6b34fe30a4b067355c8d732ef70e");
}

TEST_CASE("HMAC-SHA1 and HMAC-MD5 without a timestamp", "[unit][sign]") {
  const auto text = sign_content("pk.dn", "pk", "dn", "");
  CHECK(text == "clientIdpk.dndeviceNamednproductKeypk");
  CHECK(hmac_hex(SignMethod::hmac_sha1, "k", text) == "96a07d10ac4e8ecc10e4ee665646ee5dca81f4d8");
  CHECK(hmac_hex(SignMethod::hmac_md5, "k", text) == "154a0a0139b665b1ab546b4d0d6f1430");
}
