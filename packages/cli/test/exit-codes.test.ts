import assert from "node:assert/strict";
import { it } from "node:test";
import { InfrastructureError, InvalidInputError } from "@parallax/protocol";
import { EXIT, describeFailure } from "../src/exit-codes.js";

it("maps bad input to 2 with every issue and no stack", () => {
  const failure = describeFailure(new InvalidInputError([{ file: "s.yaml", location: "3:5", message: "bad" }, { location: "--rate", message: "worse" }]));
  assert.equal(failure.code, EXIT.invalidInput);
  assert.equal(failure.message, "parallax: invalid input\n  s.yaml:3:5: bad\n  --rate: worse");
});

it("maps infrastructure failures to 3 and anything unexpected to 3 as a bug", () => {
  assert.deepEqual(describeFailure(new InfrastructureError("no agents")), { code: EXIT.infrastructure, message: "parallax: no agents" });
  const bug = describeFailure(new TypeError("x is undefined"));
  assert.equal(bug.code, EXIT.infrastructure);
  assert.match(bug.message, /internal error \(a bug; please report it\)/);
});
