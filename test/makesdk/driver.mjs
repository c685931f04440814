// driver.mjs: Make's own SDK (@makehq/sdk) and its MCP tools, pointed at a weft server,
// driven line by line by makesdk_test.go. Nothing here asserts: every answer goes back
// to the Go test as it came out of the SDK.
//
// Environment: WEFT_HOST (host:port of `weft serve`), WEFT_TOKEN (a weft API token).
// Each line on stdin is one request:
//   {"sdk": "scenarios.list", "args": [1]}             a method of the SDK's Make client
//   {"tool": "scenarios_list", "args": {"teamId": 1}}  one of the SDK's MCP tools
// and gets one line on stdout:
//   {"ok": true, "result": ...}  or  {"ok": false, "error": {"name", "message", "statusCode"}}
// The first line out is {"ready": true, "tools": N} once the SDK has loaded.
import { createInterface } from 'node:readline';
import { Make } from '@makehq/sdk';
import { MakeMCPTools } from '@makehq/sdk/mcp';

const host = process.env.WEFT_HOST;
const token = process.env.WEFT_TOKEN;
if (!host || !token) {
    console.error('driver.mjs: WEFT_HOST and WEFT_TOKEN are required');
    process.exit(2);
}

// As a user points the SDK at weft: the host as Make's "zone", plain HTTP on 127.0.0.1.
const make = new Make(token, host);
make.protocol = 'http';

async function handle(req) {
    if (req.sdk) {
        // "incompleteExecutions.retryMultiple" → make.incompleteExecutions.retryMultiple(...args)
        const path = req.sdk.split('.');
        let target = make;
        for (const name of path.slice(0, -1)) {
            target = target?.[name];
        }
        const method = path.at(-1);
        if (typeof target?.[method] !== 'function') {
            throw new Error(`the SDK has no method ${req.sdk}`);
        }
        return await target[method](...(req.args ?? []));
    }
    if (req.tool) {
        const tool = MakeMCPTools.find(t => t.name === req.tool);
        if (!tool) {
            throw new Error(`the SDK has no MCP tool ${req.tool}`);
        }
        // What an MCP server checks before it calls a tool: the required arguments.
        for (const name of tool.inputSchema?.required ?? []) {
            if (!(name in (req.args ?? {}))) {
                throw new Error(`MCP tool ${req.tool} needs the argument ${name}`);
            }
        }
        return await tool.execute(make, req.args ?? {});
    }
    throw new Error('a request names either sdk or tool');
}

function answer(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

answer({ ready: true, tools: MakeMCPTools.length });

const lines = createInterface({ input: process.stdin });
// One request at a time, in order: the Go test waits for each answer.
for await (const line of lines) {
    if (!line.trim()) continue;
    try {
        const result = await handle(JSON.parse(line));
        answer({ ok: true, result: result === undefined ? null : result });
    } catch (err) {
        answer({
            ok: false,
            error: { name: err?.name ?? 'Error', message: String(err?.message ?? err), statusCode: err?.statusCode ?? 0 },
        });
    }
}
