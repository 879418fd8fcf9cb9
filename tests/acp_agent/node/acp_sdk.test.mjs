// `silcrow acp` driven by the official ACP TypeScript SDK (@agentclientprotocol/sdk,
// stable v1 entrypoint) in Node: initialize, a new session, a streamed answer, a tool
// call whose file reads and writes go through the client, a rejected permission,
// session modes, cancel, and a load after a restart. The agent runs with the scripted provider
// (SILCROW_PROVIDER=fake, SILCROW_FAKE_SCRIPT) and its own database.
//
// Run by scripts/test-acp (which installs the SDK with `npm ci` into node_modules).
// Env: SILCROW_PYTHON (default: python3), SILCROW_SERVER (the repo's server/ folder).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import * as acp from "@agentclientprotocol/sdk";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = process.env.SILCROW_SERVER ?? path.resolve(HERE, "../../../server");
const PYTHON = process.env.SILCROW_PYTHON ?? "python3";

const call = (name, args) => `§call: ${JSON.stringify({ name, args })}\n§execute\n`;

function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), "silcrow-acp-node-"));
  const root = path.join(dir, "ws");
  mkdirSync(root);
  writeFileSync(path.join(root, "a.py"), "print('on disk')\n");
  return { root, db: path.join(dir, "silcrow.db") };
}

// One `silcrow acp` process and a recording client app around `op(ctx, seen)`.
async function withAgent({ root, db }, replies, options, op) {
  const env = { ...process.env, PYTHONPATH: SERVER, SILCROW_DB: db };
  for (const key of Object.keys(env)) if (key.endsWith("_API_KEY")) delete env[key];
  delete env.SILCROW_PROVIDER;
  if (replies !== null) {
    env.SILCROW_PROVIDER = "fake";
    env.SILCROW_FAKE_SCRIPT = JSON.stringify({ replies, chunk: 3, delay: options.delay ?? 0 });
  }
  const child = spawn(PYTHON, ["-m", "silcrow.cli", "acp"], { cwd: root, env, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const seen = { updates: [], log: [], reads: [], writes: [], permissions: [], buffers: options.buffers ?? {} };
  const app = acp
    .client({ name: "silcrow-node-tests" })
    .onNotification(acp.methods.client.session.update, ({ params }) => {
      seen.updates.push(params.update);
      seen.log.push(`update:${params.update.sessionUpdate}`);
      options.onUpdate?.(params.update);
    })
    .onRequest(acp.methods.client.session.requestPermission, ({ params }) => {
      seen.permissions.push(params);
      return { outcome: { outcome: "selected", optionId: options.answer ?? "allow_once" } };
    })
    .onRequest(acp.methods.client.fs.readTextFile, ({ params }) => {
      seen.reads.push(params.path);
      return { content: seen.buffers[params.path] ?? readFileSync(params.path, "utf8") };
    })
    .onRequest(acp.methods.client.fs.writeTextFile, ({ params }) => {
      seen.writes.push([params.path, params.content]);
      seen.buffers[params.path] = params.content;
      return {};
    });
  const stream = acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout));
  try {
    return await app.connectWith(stream, async (ctx) => {
      const init = await ctx.request(acp.methods.agent.initialize, {
        protocolVersion: acp.PROTOCOL_VERSION,
        clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: false },
        clientInfo: { name: "silcrow-node-tests", version: "1" },
      });
      return await op(ctx, seen, init);
    });
  } catch (err) {
    err.message += `\n--- agent stderr ---\n${stderr}`;
    throw err;
  } finally {
    child.stdin.end();
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  }
}

const texts = (seen, kind) =>
  seen.updates.filter((u) => u.sessionUpdate === kind).map((u) => u.content.text).join("");

test("initialize, a new session and a streamed answer", async () => {
  const ws = workspace();
  const replies = ["§think: thinking it over\n§respond: Hello from Silcrow.\n§end\n"];
  await withAgent(ws, replies, { delay: 0.01 }, async (ctx, seen, init) => {
    assert.equal(init.protocolVersion, 1);
    assert.equal(init.agentCapabilities.loadSession, true);
    assert.equal(init.agentCapabilities.promptCapabilities.embeddedContext, true);
    const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd: ws.root, mcpServers: [] });
    const result = await ctx.request(acp.methods.agent.session.prompt, {
      sessionId,
      prompt: [{ type: "text", text: "hi" }],
    });
    seen.log.push("response:prompt");
    await ctx.request(acp.methods.agent.session.list, { cwd: ws.root });
    assert.equal(result.stopReason, "end_turn");
    assert.equal(texts(seen, "agent_thought_chunk").trim(), "thinking it over");
    assert.equal(texts(seen, "agent_message_chunk").trim(), "Hello from Silcrow.");
    assert.ok(seen.updates.filter((u) => u.sessionUpdate === "agent_message_chunk").length > 1);
    assert.equal(seen.log.at(-1), "response:prompt");
  });
});

test("a tool call reads and writes through the client", async () => {
  const ws = workspace();
  const target = path.join(ws.root, "a.py");
  const replies = [
    call("read", { file: "a.py" }),
    call("edit", { file: "a.py", old: "unsaved", new: "edited" }),
    "§respond: done\n§end\n",
  ];
  const buffers = { [target]: "print('unsaved')\n" };
  await withAgent(ws, replies, { buffers }, async (ctx, seen) => {
    const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd: ws.root, mcpServers: [] });
    const result = await ctx.request(acp.methods.agent.session.prompt, {
      sessionId,
      prompt: [{ type: "text", text: "fix it" }],
    });
    assert.equal(result.stopReason, "end_turn");
    assert.ok(seen.reads.includes(target));
    const starts = seen.updates.filter((u) => u.sessionUpdate === "tool_call");
    assert.deepEqual(starts.map((s) => s.kind), ["read", "edit"]);
    assert.equal(starts[0].locations[0].path, target);
    const done = seen.updates.filter((u) => u.sessionUpdate === "tool_call_update" && u.status === "completed");
    assert.deepEqual(done.map((u) => u.toolCallId), starts.map((s) => s.toolCallId));
    assert.match(done[0].content[0].content.text, /unsaved/);
    assert.deepEqual(done[1].content[0], {
      type: "diff", path: target, oldText: "print('unsaved')\n", newText: "print('edited')\n",
    });
    assert.deepEqual(seen.writes, [[target, "print('edited')\n"]]);
    assert.equal(readFileSync(target, "utf8"), "print('on disk')\n");
  });
});

test("a rejected permission keeps the command from running", async () => {
  const ws = workspace();
  const replies = [call("shell", { command: "touch ran.txt" }), "§respond: ok\n§end\n"];
  await withAgent(ws, replies, { answer: "reject_once" }, async (ctx, seen) => {
    const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd: ws.root, mcpServers: [] });
    await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: "text", text: "go" }] });
    assert.equal(seen.permissions.length, 1);
    assert.deepEqual(
      seen.permissions[0].options.map((o) => o.kind).sort(),
      ["allow_always", "allow_once", "reject_always", "reject_once"],
    );
    const start = seen.updates.find((u) => u.sessionUpdate === "tool_call");
    assert.equal(seen.permissions[0].toolCall.toolCallId, start.toolCallId);
    const last = seen.updates.filter((u) => u.sessionUpdate === "tool_call_update").at(-1);
    assert.equal(last.status, "failed");
    assert.ok(!existsSync(path.join(ws.root, "ran.txt")));
  });
});

test("session modes: advertised, ask refuses a write without asking, a bad id errors", async () => {
  const ws = workspace();
  const replies = [call("write", { file: "new.txt", content: "fresh\n" }), "§respond: ok\n§end\n"];
  await withAgent(ws, replies, {}, async (ctx, seen) => {
    const { sessionId, modes } = await ctx.request(acp.methods.agent.session.new, { cwd: ws.root, mcpServers: [] });
    assert.equal(modes.currentModeId, "agent");
    assert.deepEqual(modes.availableModes.map((m) => m.id), ["agent", "ask", "plan"]);
    await ctx.request(acp.methods.agent.session.setMode, { sessionId, modeId: "ask" });
    await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: "text", text: "go" }] });
    assert.equal(seen.permissions.length, 0);
    assert.equal(seen.writes.length, 0);
    const last = seen.updates.filter((u) => u.sessionUpdate === "tool_call_update").at(-1);
    assert.equal(last.status, "failed");
    assert.match(last.content[0].content.text, /not available in ask mode/);
    await assert.rejects(
      ctx.request(acp.methods.agent.session.setMode, { sessionId, modeId: "code" }),
      (err) => err.code === -32602 && /agent, ask, plan/.test(err.message),
    );
  });
});

test("cancel ends the turn as cancelled, with no update after the response", async () => {
  const ws = workspace();
  const replies = [call("shell", { command: "exec sleep 60" }), "§respond: too late\n§end\n"];
  let running;
  const started = new Promise((resolve) => (running = resolve));
  const onUpdate = (u) => u.sessionUpdate === "tool_call_update" && u.status === "in_progress" && running();
  await withAgent(ws, replies, { onUpdate, answer: "allow_once" }, async (ctx, seen) => {
    const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd: ws.root, mcpServers: [] });
    const prompt = ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: "text", text: "go" }] });
    await started;
    while (seen.permissions.length === 0) await new Promise((r) => setTimeout(r, 20));
    await ctx.notify(acp.methods.agent.session.cancel, { sessionId });
    const result = await prompt;
    seen.log.push("response:prompt");
    await ctx.request(acp.methods.agent.session.list, { cwd: ws.root });
    assert.equal(result.stopReason, "cancelled");
    assert.equal(seen.log.at(-1), "response:prompt");
    assert.doesNotMatch(texts(seen, "agent_message_chunk"), /too late/);
  });
});

test("a session loads after a restart, replayed before the response", async () => {
  const ws = workspace();
  const sessionId = await withAgent(ws, ["§respond: It is 42.\n§end\n"], {}, async (ctx) => {
    const { sessionId } = await ctx.request(acp.methods.agent.session.new, { cwd: ws.root, mcpServers: [] });
    await ctx.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: "text", text: "what is it?" }] });
    return sessionId;
  });
  await withAgent(ws, [], {}, async (ctx, seen) => {
    await ctx.request(acp.methods.agent.session.load, { sessionId, cwd: ws.root, mcpServers: [] });
    const before = seen.log.length;
    assert.equal(texts(seen, "user_message_chunk"), "what is it?");
    assert.equal(texts(seen, "agent_message_chunk").trim(), "It is 42.");
    await ctx.request(acp.methods.agent.session.list, { cwd: ws.root });
    assert.equal(seen.log.length, before);
  });
});
