// Reads JSON-encoded strings, one per line, from stdin and prints the number
// of o200k_base tokens in each, one per line, in the same order.
import { createInterface } from "node:readline";
import { Tiktoken } from "js-tiktoken/lite";
import o200k_base from "js-tiktoken/ranks/o200k_base";

const enc = new Tiktoken(o200k_base);
const out = [];
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line) out.push(String(enc.encode(JSON.parse(line), [], []).length));
}
process.stdout.write(out.join("\n") + "\n");
