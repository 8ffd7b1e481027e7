import { describe, expect, it } from "vitest";
import { cookieApiProblem, crossSiteProblem } from "./same-origin.ts";

const OWN = "https://ci.example.com";
const headers = (h: Record<string, string>) => new Headers(h);

describe("crossSiteProblem", () => {
  it.each([
    [{}],
    [{ "sec-fetch-site": "same-origin" }],
    [{ "sec-fetch-site": "none" }],
    [{ origin: OWN }],
    // Reached under another name than the public URL: the Host it was sent to counts.
    [{ origin: "http://10.0.0.5:8080", host: "10.0.0.5:8080" }],
    [{ origin: "https://ci.internal", host: "ci.internal:443" }],
  ])("passes %j", (h) => {
    expect(crossSiteProblem(headers(h), OWN)).toBeNull();
  });

  it.each([
    [{ "sec-fetch-site": "cross-site", origin: OWN }, /Sec-Fetch-Site: cross-site/],
    [{ "sec-fetch-site": "same-site" }, /Sec-Fetch-Site: same-site/],
    [{ origin: "https://evil.example", host: "ci.example.com" }, /Origin: https:\/\/evil.example/],
    [{ origin: "https://ci.example.com.evil.example" }, /another origin/],
    [{ origin: "http://ci.example.com" }, /another origin/],
    [{ origin: "null", host: "ci.example.com" }, /Origin: null/],
    [{ origin: "http://10.0.0.5:8081", host: "10.0.0.5:8080" }, /another origin/],
    [{ origin: "file://", host: "" }, /another origin/],
    // Browsers send an origin serialized; anything else is not one.
    [{ origin: "http://ci.internal/path", host: "ci.internal" }, /another origin/],
  ])("refuses %j", (h, want) => {
    expect(crossSiteProblem(headers(h), OWN)).toMatch(want);
  });

  it("compares with the Host alone when the public URL is unknown", () => {
    expect(crossSiteProblem(headers({ origin: "http://a:1", host: "a:1" }), null)).toBeNull();
    expect(crossSiteProblem(headers({ origin: "http://a:1" }), null)).toMatch(/another origin/);
  });
});

describe("cookieApiProblem", () => {
  const json = { "content-type": "application/json", "content-length": "2" };

  it("lets reads through whatever their origin", () => {
    for (const method of ["GET", "HEAD", "OPTIONS"])
      expect(cookieApiProblem(method, headers({ origin: "https://evil.example" }), OWN)).toBe(null);
  });

  it("refuses a change from another site, naming the way out", () => {
    expect(
      cookieApiProblem("POST", headers({ ...json, origin: "https://evil.example" }), OWN),
    ).toMatch(/another origin.*Authorization: Bearer/);
    expect(cookieApiProblem("DELETE", headers({ "sec-fetch-site": "cross-site" }), OWN)).toMatch(
      /another site/,
    );
  });

  it.each([
    ["text/plain", "5"],
    ["application/x-www-form-urlencoded", "5"],
    ["multipart/form-data; boundary=x", "5"],
    ["application/jsonp", "5"],
  ])("refuses a %s body", (type, length) => {
    const h = headers({ "content-type": type, "content-length": length, origin: OWN });
    expect(cookieApiProblem("POST", h, OWN)).toMatch(/Content-Type: application\/json/);
  });

  it("refuses a chunked body without a content type", () => {
    const h = headers({ "transfer-encoding": "chunked" });
    expect(cookieApiProblem("PUT", h, OWN)).toMatch(/Content-Type: application\/json/);
  });

  it("passes JSON from its own origin, and a change without a body", () => {
    expect(cookieApiProblem("POST", headers({ ...json, origin: OWN }), OWN)).toBeNull();
    expect(
      cookieApiProblem(
        "PATCH",
        headers({ ...json, "content-type": "Application/JSON; charset=utf-8" }),
        OWN,
      ),
    ).toBeNull();
    expect(cookieApiProblem("DELETE", headers({}), OWN)).toBeNull();
    expect(cookieApiProblem("POST", headers({ "content-length": "0" }), OWN)).toBeNull();
  });
});
