// Drives Kestrel's MCP server with the official TypeScript SDK client. Client.callTool checks every
// structuredContent against the tool's outputSchema (from tools/list) and throws when they disagree.
//   node check.mjs http  URL TOKEN
//   node check.mjs stdio KESTREL_DLL DATA_DIRECTORY TOKEN
// Prints one JSON report on stdout; exits 1 with the error on stderr when anything fails.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { transportFrom } from "./transport.mjs";

const { transport } = transportFrom(process.argv.slice(2));

const client = new Client({ name: "kestrel-typescript-check", version: "1.0.0" });
try {
  await client.connect(transport);
  const { tools } = await client.listTools();
  const report = { server: client.getServerVersion()?.name, tools: tools.map((t) => t.name).sort(), calls: [] };
  const call = async (name, callArguments) => {
    const result = await client.callTool({ name, arguments: callArguments });
    report.calls.push({ name, isError: result.isError === true, text: result.content.map((c) => c.text).join(""), structured: result.structuredContent ?? null });
    return result;
  };

  const listed = await call("list_errors", { limit: 50 });
  for (const issue of listed.structuredContent.issues) {
    await call("get_error", { issue_id: issue.id, event_limit: 5 });
    await call("get_trend", { issue_id: issue.id, hours: 24 });
  }
  const first = listed.structuredContent.issues[0].id;
  await call("mark_ignored", { issue_id: first, reason: "checked by the TypeScript client" });
  await call("mark_resolved", { issue_id: first, commit_sha: "abcdef0", note: "checked" });
  await call("add_note", { issue_id: first, text: "noted by the TypeScript client" });
  await call("mark_resolved", { issue_id: first, in_next_release: true });
  await call("get_error", { issue_id: first });
  await call("list_errors", { limit: 1 });
  await call("get_error", { issue_id: 987654 });
  await call("list_errors", { limit: 0 });
  console.log(JSON.stringify(report));
  await client.close();
} catch (error) {
  console.error(String(error?.stack ?? error));
  process.exit(1);
}
