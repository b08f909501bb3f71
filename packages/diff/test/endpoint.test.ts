import assert from "node:assert/strict";
import { test } from "node:test";
import { endpointTemplate } from "../src/index.js";

test("ids become {id}, other segments are kept, the query is dropped", () => {
  assert.equal(endpointTemplate("GET", "/users/42"), "GET /users/{id}");
  assert.equal(endpointTemplate("get", "/users/42/orders/7?expand=1&x=2"), "GET /users/{id}/orders/{id}");
  assert.equal(endpointTemplate("GET", "/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301"), "GET /items/{id}");
  assert.equal(endpointTemplate("GET", "/blobs/0123456789abcdef"), "GET /blobs/{id}");
  assert.equal(endpointTemplate("GET", "/blobs/0123456789ABCDEF0"), "GET /blobs/{id}");
  assert.equal(endpointTemplate("GET", "/blobs/0123456789abcde"), "GET /blobs/0123456789abcde", "15 hex characters are not an id");
  assert.equal(endpointTemplate("GET", "/v1/models/resnet50"), "GET /v1/models/resnet50");
  assert.equal(endpointTemplate("GET", "/users/42abc"), "GET /users/42abc");
});

test("custom methods keep the verb; root, trailing slash and fragment", () => {
  assert.equal(endpointTemplate("POST", "/v1/models/123:predict"), "POST /v1/models/{id}:predict");
  assert.equal(endpointTemplate("POST", "/v1/models/resnet:predict"), "POST /v1/models/resnet:predict");
  assert.equal(endpointTemplate("GET", "/"), "GET /");
  assert.equal(endpointTemplate("GET", "?q=1"), "GET /");
  assert.equal(endpointTemplate("GET", "/users/42/"), "GET /users/{id}/");
  assert.equal(endpointTemplate("GET", "/a/9#frag?x"), "GET /a/{id}");
});
