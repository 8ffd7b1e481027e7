// A Quire-style pipeline: build → test → deploy. Each job gets a fresh checkout; outputs
// (the return values) carry data to dependents, not files.
import { job } from "equinox/pipeline";

job("build", ["push"], async ({ sh }) => {
  const r = await sh("make build");
  if (r.exit !== 0) throw new Error(`make build failed (exit ${r.exit})`);
  const version = r.stdout.trim().split("\n").pop() ?? "";
  return { artifact: "build/greeter.tar.gz", version };
});

job("test", ["build"], async ({ sh, jobs }) => {
  const r = await sh(["make", "test", `EXPECTED_VERSION=${jobs("build").version}`]);
  if (r.exit !== 0) throw new Error("tests failed");
  return { passed: r.stdout.includes("tests passed") };
});

job("deploy", ["test"], async ({ sh, secret, jobs }) => {
  const push = jobs("push");
  // Only main deploys; any other branch skips this job (returning null).
  if (push.branch !== "main") return null;
  const token = secret("DEPLOY_TOKEN");
  const { artifact, version } = jobs("build");
  const r = await sh('make build >/dev/null && echo "uploading $ARTIFACT ($VERSION) with $TOKEN"', {
    env: { ARTIFACT: artifact, VERSION: version, TOKEN: token },
  });
  if (r.exit !== 0) throw new Error("upload failed");
  return { deployed: version, sha: push.sha };
});
