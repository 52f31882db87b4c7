import { deepStrictEqual, ok } from "node:assert/strict";
import { KEYS } from "../src/launcher/keys.ts";
import { normalisedBlock, withKeysTable } from "../tools/keys_table.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

Deno.test("4: the README's table of keys is generated from src/launcher/keys.ts and up to date", () => {
  const block = normalisedBlock(README);
  ok(block.length > 0, "README.md has no keys table: run deno run -A tools/keys_table.ts");
  deepStrictEqual(
    block,
    normalisedBlock(withKeysTable(README)),
    "the keys table is out of date: run deno run -A tools/keys_table.ts",
  );
  for (const key of Object.keys(KEYS)) {
    ok(block.some((row) => row.startsWith(`|\`${key}\`|`)), `${key} is in the table`);
  }
});
