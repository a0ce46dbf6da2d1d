/**
 * The Dockerfile cannot be built here (no Docker engine), so it is linted: parsed with dockerfile-ast and checked
 * against the repository — multi-stage, non-root final stage, a HEALTHCHECK on /healthz, every COPY source
 * present (or from an earlier stage), a start command that the build really produces and that works outside
 * Docker, and EXPOSEd ports that match the app's defaults.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import { DEFAULT_HEALTH_PORT } from "../../src/ops/index.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
const stageNames = froms.map((f) => f.getBuildStage());
const finalStart = froms[froms.length - 1]!.getRange().start.line;
const finalStage = instructions.filter((i) => i.getRange().start.line >= finalStart);

function args(i: Instruction): string[] {
  return i.getArguments().map((a) => a.getValue());
}

/** An exec-form (JSON array) instruction's strings. */
function jsonArgs(i: Instruction): string[] {
  const content = i.getArgumentsContent() ?? "";
  const parsed: unknown = JSON.parse(content.replace(/\\\n/g, ""));
  if (!Array.isArray(parsed)) throw new Error(`${i.getKeyword()} is not in exec form`);
  return parsed.map(String);
}

describe("Dockerfile", () => {
  it("is multi-stage: a build stage with the native toolchain, a runtime stage with production dependencies", () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const build = instructions.filter((i) => i.getRange().start.line < finalStart).map((i) => i.getTextContent()).join("\n");
    expect(build).toMatch(/python3/);
    expect(build).toMatch(/\bg\+\+/);
    expect(build).toMatch(/npm run build/);
    expect(build).toMatch(/npm prune --omit=dev|npm ci --omit=dev/);
    // The runtime stage takes node_modules from the build stage (better-sqlite3 is compiled there).
    const copies = finalStage.filter((i) => i.getKeyword() === "COPY").map((i) => i.getTextContent());
    expect(copies.some((c) => /--from=build\b.*node_modules/.test(c))).toBe(true);
    expect(finalStage.some((i) => i.getKeyword() === "RUN" && /npm (ci|install)/.test(i.getTextContent()))).toBe(false);
  });

  it("runs the final stage as a non-root user", () => {
    const users = finalStage.filter((i) => i.getKeyword() === "USER");
    expect(users.length).toBeGreaterThan(0);
    const user = args(users[users.length - 1]!)[0]!.split(":")[0]!;
    expect(["root", "0"]).not.toContain(user);
  });

  it("has a HEALTHCHECK against /healthz on the health port, a data volume, and EXPOSEs the app's ports", () => {
    const checks = finalStage.filter((i) => i.getKeyword() === "HEALTHCHECK");
    expect(checks).toHaveLength(1);
    expect(checks[0]!.getTextContent()).toMatch(/\/healthz/);
    expect(checks[0]!.getTextContent()).toMatch(/HEALTH_PORT/);
    const volumes = finalStage.filter((i) => i.getKeyword() === "VOLUME").map((i) => i.getTextContent()).join(" ");
    expect(volumes).toContain("/data");
    const exposed = finalStage.filter((i) => i.getKeyword() === "EXPOSE").flatMap(args).map((p) => Number(p.split("/")[0]));
    const env = Object.fromEntries(
      dockerfile
        .getENVs()
        .filter((e) => e.getRange().start.line >= finalStart)
        .flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()])),
    );
    expect(Number(env["HEALTH_PORT"] ?? DEFAULT_HEALTH_PORT)).toBe(DEFAULT_HEALTH_PORT);
    expect(exposed).toContain(DEFAULT_HEALTH_PORT);
    expect(exposed).toContain(Number(env["PORT"] ?? 3000)); // Slack's HTTP receiver (serve's default PORT)
    expect(env["HEALTH_HOST"]).toBe("0.0.0.0"); // reachable from outside the container
  });

  it("copies only what exists in the repository, or what an earlier stage built", () => {
    for (const copy of dockerfile.getCOPYs()) {
      const from = copy.getFlags().find((f) => f.getName() === "from")?.getValue();
      const sources = args(copy).filter((a) => !a.startsWith("--")).slice(0, -1);
      expect(sources.length).toBeGreaterThan(0);
      if (from !== undefined && from !== null) {
        const line = copy.getRange().start.line;
        const earlier = froms.filter((f) => f.getRange().start.line < line).map((f) => f.getBuildStage());
        expect(earlier, `COPY --from=${from}`).toContain(from);
        continue;
      }
      for (const src of sources) expect(existsSync(join(ROOT, src)), `COPY source ${src}`).toBe(true);
    }
    expect(stageNames.filter(Boolean).length).toBe(new Set(stageNames.filter(Boolean)).size);
  });

  it("starts a file that `npm run build` produces, with a subcommand that works outside Docker", async () => {
    const cmds = finalStage.filter((i) => i.getKeyword() === "CMD");
    expect(cmds).toHaveLength(1);
    const [bin, entry, sub, ...rest] = jsonArgs(cmds[0]!);
    expect(bin).toBe("node");
    // dist/src/cli.js ← src/cli.ts: tsconfig.build.json compiles src/ into outDir "dist" with rootDir ".".
    const build = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as { include: string[]; extends: string };
    const base = JSON.parse(readFileSync(join(ROOT, build.extends), "utf8")) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.build).toBe("tsc -p tsconfig.build.json");
    expect(base.compilerOptions.rootDir).toBe(".");
    const source = entry!.replace(new RegExp(`^${base.compilerOptions.outDir}/`), "").replace(/\.js$/, ".ts");
    expect(build.include).toContain(source.split("/")[0]);
    expect(existsSync(join(ROOT, source))).toBe(true);
    expect(rest).toEqual(["--config", "/config/pve-chatops.yaml"]);
    // The same command, outside Docker: the subcommand exists and takes --config.
    const out: string[] = [];
    const code = await main([sub!, "--help"], { out: (l) => void out.push(l), err: (l) => void out.push(l), env: {}, cwd: ROOT, stopSignal: Promise.resolve() });
    expect(code).toBe(0);
    expect(out.join("\n")).toContain("--config");
  });

  it("keeps secrets, state and build output out of the build context", () => {
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
    for (const entry of ["node_modules", "dist", "data", ".env", "secrets"]) expect(ignored).toContain(entry);
    // …but not what the Dockerfile copies.
    for (const copy of dockerfile.getCOPYs()) {
      if (copy.getFlags().some((f) => f.getName() === "from")) continue;
      for (const src of args(copy).slice(0, -1)) expect(ignored).not.toContain(src.replace(/^\.\//, ""));
    }
  });
});
