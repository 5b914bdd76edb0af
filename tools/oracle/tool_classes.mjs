// tool_classes.mjs: what openclaw@2026.9.6's RUNTIME tool pipeline does with the two classes of
// non-built-in tools, for every agent of the active config (OPENCLAW_CONFIG_PATH / OPENCLAW_STATE_DIR).
//
// `openclaw-peer tools` probes the names `__some_plugin_tool__` and `bundle-mcp` in the audit view
// (isToolAllowedByPolicies, where `group:plugins` stays a literal). The runtime also expands
// `group:plugins` and plugin ids to the tools plugins registered, so this script runs the package's
// own pipeline (buildDefaultToolPolicyPipelineSteps + applyToolPolicyPipeline, the same calls as
// ../shared/tools/openclaw-effective-tools.mjs) over the core tools plus two registered tools:
//   __some_plugin_tool__  registered by plugin "some-plugin"  -> class "plugin"
//   probe-server__probe   registered by plugin "bundle-mcp"   -> class "bundleMcp" (a bundled MCP tool)
// once for the agent's main session and once with the sandbox layer on (a sandboxed session).
// It imports the installed package's bundled modules (names pinned to 2026.9.6); it copies no code.
//
// Usage: run by tools/oracle/record_policy.py (env as for the CLI; OPENCLAW_PKG_DIR = the package).
import fs from "node:fs";
import path from "node:path";

const PKG = process.env.OPENCLAW_PKG_DIR;
if (!PKG) { console.error("set OPENCLAW_PKG_DIR"); process.exit(2); }
const version = JSON.parse(fs.readFileSync(path.join(PKG, "package.json"), "utf8")).version;
if (version !== "2026.9.6") { console.error(`pinned to openclaw 2026.9.6; found ${version}`); process.exit(3); }
const imp = (f) => import(path.join(PKG, "dist", f));
const io = await imp("io.runtime-hPN4FOBi.mjs"); // r = getRuntimeConfig
const scope = await imp("agent-scope-config-IQKOEtZ4.mjs"); // E = listAgentEntries
const sbxCfg = await imp("config-B2J3OrFT.mjs"); // i = resolveSandboxConfigForAgent
const pol = await imp("agent-tools.policy-CN7PMMey.mjs"); // n = resolveEffectiveToolPolicy
const sbxPol = await imp("tool-policy-C8ci7WKM.mjs"); // r = resolveSandboxToolPolicyForAgent
const shared = await imp("tool-policy-shared-auQCQEhM.mjs"); // n = TOOL_GROUPS, d = resolveToolProfilePolicy
const tp = await imp("tool-policy-YDdaK0oX.mjs"); // l = mergeAlsoAllowPolicy
const pipe = await imp("tool-policy-pipeline-BjUxseTY.mjs"); // n = buildDefaultToolPolicyPipelineSteps, t = applyToolPolicyPipeline

const cfg = io.r();
const coreTools = [...new Set(Object.values(shared.n).flat())].sort();
const PROBES = { plugin: ["__some_plugin_tool__", "some-plugin"], bundleMcp: ["probe-server__probe", "bundle-mcp"] };
const pluginOf = new Map(Object.values(PROBES));
const tools = [...coreTools, ...pluginOf.keys()].map((name) => ({ name }));
const toolMeta = (tool) => (pluginOf.has(tool.name) ? { pluginId: pluginOf.get(tool.name) } : undefined);

function kept(effective, extraSteps) {
  const profilePolicy = shared.d(effective.profile);
  const providerProfilePolicy = shared.d(effective.providerProfile);
  const steps = [
    ...pipe.n({
      profilePolicy: tp.l(profilePolicy, effective.profileAlsoAllow),
      profile: effective.profile,
      profileUnavailableCoreWarningAllowlist: profilePolicy?.allow,
      providerProfilePolicy: tp.l(providerProfilePolicy, effective.providerProfileAlsoAllow),
      providerProfile: effective.providerProfile,
      providerProfileUnavailableCoreWarningAllowlist: providerProfilePolicy?.allow,
      globalPolicy: effective.globalPolicy,
      globalProviderPolicy: effective.globalProviderPolicy,
      agentPolicy: effective.agentPolicy,
      agentProviderPolicy: effective.agentProviderPolicy,
      agentId: effective.agentId,
    }),
    ...extraSteps,
  ];
  const names = new Set(pipe.t({ tools, toolMeta, warn: () => {}, steps }).map((t) => t.name));
  return Object.fromEntries(Object.entries(PROBES).map(([cls, [name]]) => [cls, names.has(name)]));
}

function report(agentId) {
  const sandbox = sbxCfg.i(cfg, agentId);
  const sandboxStep = { policy: sbxPol.r(cfg, agentId), label: "sandbox tools.allow" };
  const effective = pol.n({ config: cfg, agentId });
  return {
    agentId,
    sandboxMode: sandbox.mode,
    mainSession: kept(effective, sandbox.mode === "all" ? [sandboxStep] : []),
    sandboxedSession: kept(effective, [sandboxStep]),
  };
}

const ids = scope.E(cfg).filter((e) => e && typeof e.id === "string").map((e) => e.id);
const out = {
  generator: `tools/oracle/tool_classes.mjs (in-process, openclaw@${version})`,
  probes: Object.fromEntries(Object.entries(PROBES).map(([cls, [name, plugin]]) => [cls, { tool: name, pluginId: plugin }])),
  agents: (ids.length ? ids : ["main"]).map(report),
};
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
