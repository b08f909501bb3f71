import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { REDACTED } from "@parallax/protocol";
import { DEFAULT_REDACTED_HEADERS, DEFAULT_REDACTED_QUERY, createRedactor } from "../src/index.js";

const R = encodeURIComponent(REDACTED);

describe("redaction", () => {
  it("has the documented defaults", () => {
    assert.deepEqual(DEFAULT_REDACTED_HEADERS, ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"]);
    assert.deepEqual(DEFAULT_REDACTED_QUERY, [
      "access_token",
      "id_token",
      "refresh_token",
      "token",
      "api_key",
      "apikey",
      "password",
      "secret",
      "client_secret",
      "sig",
      "signature",
    ]);
  });

  it("redacts query values by name, case-insensitively, and leaves every other byte alone", () => {
    const { path } = createRedactor();
    assert.equal(path("/x?a=%7e&Token=abc&b=1+2&token&c=%zz"), `/x?a=%7e&Token=${R}&b=1+2&token&c=%zz`);
    assert.equal(path("/x?acc%65ss_token=abc&sig=&x"), `/x?acc%65ss_token=${R}&sig=${R}&x`);
    assert.equal(path("/cb#access_token=abc&state=1"), `/cb#access_token=${R}&state=1`);
    assert.equal(path("/p?q=1#id_token=abc"), `/p?q=1#id_token=${R}`);
    assert.equal(path("/plain/path"), "/plain/path");
    assert.equal(path(`/x?token=${R}`), `/x?token=${R}`);
  });

  it("adds configured query names to the defaults", () => {
    const { path } = createRedactor({ query: ["Session"] });
    assert.equal(path("/x?session=s1&password=p1&other=o"), `/x?session=${R}&password=${R}&other=o`);
  });

  it("redacts header values by name, keeps names and order, and cleans a referer's query", () => {
    const { headers } = createRedactor({ headers: ["X-Tenant-Key"] });
    assert.deepEqual(
      headers([
        ["Authorization", "Bearer abc"],
        ["x-tenant-key", "k"],
        ["Accept", "*/*"],
        ["Set-Cookie", "a=b"],
        ["Referer", "https://app/p?api_key=zz&page=2"],
        ["X-API-Key", "q"],
      ]),
      [
        ["Authorization", REDACTED],
        ["x-tenant-key", REDACTED],
        ["Accept", "*/*"],
        ["Set-Cookie", REDACTED],
        ["Referer", `https://app/p?api_key=${R}&page=2`],
        ["X-API-Key", REDACTED],
      ],
    );
  });
});
