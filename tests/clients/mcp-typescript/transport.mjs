// The client transport of the scripts here, from their first arguments:
//   http  URL TOKEN ...                      Streamable HTTP with the token as bearer
//   stdio KESTREL_DLL DATA_DIRECTORY TOKEN ...  `kestrel mcp` started with KESTREL_DATA and KESTREL_TOKEN
// Returns the transport and the arguments after the transport's own.
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

export function transportFrom([mode, ...args]) {
  return mode === "http"
    ? { transport: new StreamableHTTPClientTransport(new URL(args[0]), { requestInit: { headers: { Authorization: `Bearer ${args[1]}` } } }), rest: args.slice(2) }
    : {
        transport: new StdioClientTransport({
          command: "dotnet",
          args: [args[0], "mcp"],
          env: { ...process.env, KESTREL_DATA: args[1], KESTREL_TOKEN: args[2] },
          stderr: "inherit",
        }),
        rest: args.slice(3),
      };
}
