// deploy/: no image is built and no cluster is reached here. The Kubernetes manifests are validated against the
// Kubernetes API's schemas (kubernetes-models, which ships them compiled in its npm package), and the Dockerfile is
// parsed with dockerfile-ast to check its stages, its user and its entrypoint.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { parseAllDocuments } from 'yaml';

const repo = fileURLToPath(new URL('..', import.meta.url));
const kubernetesDir = join(repo, 'deploy', 'kubernetes');

/** The model (with its schema) of each kind the manifests may hold; any other kind fails the test. */
const models: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'batch/v1/CronJob': CronJob,
};

/** Every YAML document under deploy/kubernetes/, with the file it came from. */
function manifests(): { file: string; doc: Record<string, any> }[] {
  return readdirSync(kubernetesDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(kubernetesDir, file), 'utf8')).map((document) => {
        assert.deepEqual(document.errors, [], `${file} is valid YAML`);
        return { file, doc: document.toJS() as Record<string, any> };
      }),
    );
}

const byKind = (kind: string) => manifests().filter(({ doc }) => doc['kind'] === kind).map(({ doc }) => doc);

/** The CronJob named `name`. */
function cronJob(name: string): Record<string, any> {
  const found = byKind('CronJob').filter((doc) => doc['metadata']['name'] === name);
  assert.equal(found.length, 1, `one CronJob ${name}`);
  return found[0]!;
}

/** Minutes after midnight of a daily or weekly `M H * * …` schedule. */
function startMinute(schedule: string): number {
  const match = /^(\d+) (\d+) \* \* [\d*]+$/.exec(schedule);
  assert.ok(match !== null, `a plain schedule: ${schedule}`);
  return Number(match[2]) * 60 + Number(match[1]);
}

/**
 * STATE_DIR is a subfolder of the state volume's mount, never the mount itself: kubelet makes an fsGroup volume's root
 * group-writable and setgid (2770), which memory-cron refuses (MC_STATE_EXPOSED, exit 7); the job creates the subfolder
 * owner-only.
 */
function assertStateDirInsideMount(stateDir: string | undefined, mountPath: string | undefined): void {
  assert.ok(stateDir !== undefined && mountPath !== undefined && posix.isAbsolute(stateDir), `STATE_DIR ${stateDir} and the mount ${mountPath}`);
  assert.notEqual(posix.normalize(stateDir), posix.normalize(mountPath), 'STATE_DIR is not the mount itself');
  assert.equal(posix.dirname(posix.normalize(stateDir)), posix.normalize(mountPath), 'STATE_DIR is a folder directly inside the mount');
}

describe('Kubernetes manifests', () => {
  test('every manifest is a known kind that validates against the Kubernetes API schema', () => {
    const all = manifests();
    assert.deepEqual(all.map(({ doc }) => doc['kind']).sort(), ['ConfigMap', 'CronJob', 'CronJob', 'PersistentVolumeClaim', 'Secret']);
    for (const { file, doc } of all) {
      const Model = models[`${doc['apiVersion']}/${doc['kind']}`];
      assert.ok(Model !== undefined, `${file}: ${doc['apiVersion']} ${doc['kind']} has no schema here`);
      assert.doesNotThrow(() => new Model(doc).validate(), `${file} validates`);
    }
  });

  test('the validator refuses what the API server would (so passing means something)', () => {
    const nightly = structuredClone(cronJob('memory-cron'));
    nightly['spec']['startingDeadlineSeconds'] = 'soon';
    assert.throws(() => new models['batch/v1/CronJob']!(nightly).validate());
    const claim = structuredClone(byKind('PersistentVolumeClaim')[0]!);
    claim['spec']['accessModes'] = 'ReadWriteOnce';
    assert.throws(() => new models['v1/PersistentVolumeClaim']!(claim).validate());
  });

  test('the nightly CronJob runs at 03:00 Chicago, one at a time, hardened, with STATE_DIR in a subfolder of the claim and the secrets as files', () => {
    const spec = cronJob('memory-cron')['spec'];
    assert.deepEqual([spec['schedule'], spec['timeZone'], spec['concurrencyPolicy']], ['0 3 * * *', 'America/Chicago', 'Forbid']);
    assert.ok(Number.isInteger(spec['startingDeadlineSeconds']) && spec['startingDeadlineSeconds'] > 0);
    const job = spec['jobTemplate']['spec'];
    assert.ok(job['activeDeadlineSeconds'] >= 3000, 'longer than RUN_DEADLINE, so the run stops itself first');
    const pod = job['template']['spec'];
    assert.equal(pod['restartPolicy'], 'Never');
    assert.equal(pod['automountServiceAccountToken'], false);
    assert.deepEqual([pod['securityContext']['runAsNonRoot'], pod['securityContext']['seccompProfile']['type']], [true, 'RuntimeDefault']);
    assert.ok(pod['securityContext']['runAsUser'] > 0 && pod['securityContext']['fsGroup'] > 0);
    const [container, ...others] = pod['containers'];
    assert.equal(others.length, 0);
    const context = container['securityContext'];
    assert.deepEqual([context['allowPrivilegeEscalation'], context['readOnlyRootFilesystem'], context['capabilities']['drop']], [false, true, ['ALL']]);
    const env = Object.fromEntries(container['env'].map((e: { name: string; value: string }) => [e.name, e.value]));
    const mounts = Object.fromEntries(container['volumeMounts'].map((m: { name: string; mountPath: string }) => [m.name, m]));
    const volumes = Object.fromEntries(pod['volumes'].map((v: { name: string }) => [v.name, v]));
    assertStateDirInsideMount(env['STATE_DIR'], mounts['state'].mountPath);
    assert.equal(pod['securityContext']['fsGroupChangePolicy'], 'OnRootMismatch', 'kubelet does not re-apply g+rw to the whole volume at every mount');
    assert.equal(volumes['state'].persistentVolumeClaim.claimName, byKind('PersistentVolumeClaim')[0]!['metadata']['name']);
    assert.equal(mounts['credentials'].mountPath, env['CREDENTIALS_DIRECTORY']);
    assert.equal(mounts['credentials'].readOnly, true);
    assert.equal(volumes['credentials'].secret.secretName, byKind('Secret')[0]!['metadata']['name']);
    assert.deepEqual(volumes['credentials'].secret.items.map((item: { path: string }) => item.path).sort(), ['api-key', 'webhook-secret']);
    assert.ok(!container['env'].some((e: { name: string }) => /API_KEY|WEBHOOK_SECRET/.test(e.name)), 'secrets are files, not environment variables');
    assert.ok(mounts['tmp'] !== undefined && volumes['tmp'].emptyDir !== undefined, 'a writable /tmp beside the read-only root');
  });

  test('the reconcile CronJob runs weekly on the systemd timer\'s schedule, one at a time, `reconcile --json`, with the nightly pod\'s image, claim, STATE_DIR, settings and hardening', () => {
    const nightly = cronJob('memory-cron')['spec'];
    const spec = cronJob('memory-cron-reconcile')['spec'];
    const timer = readFileSync(join(repo, 'systemd', 'memory-cron-reconcile.timer'), 'utf8');
    const calendar = /^OnCalendar=Sun \*-\*-\* (\d\d):(\d\d):00 (\S+)$/m.exec(timer);
    assert.ok(calendar !== null, 'the timer runs on Sundays at a fixed time in a named zone');
    assert.deepEqual([spec['schedule'], spec['timeZone'], spec['concurrencyPolicy']], [`${Number(calendar[2])} ${Number(calendar[1])} * * 0`, calendar[3], 'Forbid']);
    assert.ok(Number.isInteger(spec['startingDeadlineSeconds']) && spec['startingDeadlineSeconds'] > 0);
    const job = spec['jobTemplate']['spec'];
    assert.equal(job['backoffLimit'], 0);
    assert.ok(job['activeDeadlineSeconds'] >= 3000, 'longer than RUN_DEADLINE, so reconcile stops itself first');

    // Both take the LevelDB lock (a clash is exit 3, MC_LOCKED): a night started on time is over before reconcile
    // starts, and a reconcile started as late as it may be is over long before the next night.
    assert.equal(spec['timeZone'], nightly['timeZone']);
    const nightEnds = startMinute(nightly['schedule']) + nightly['jobTemplate']['spec']['activeDeadlineSeconds'] / 60;
    assert.ok(nightEnds <= startMinute(spec['schedule']), 'the night is stopped before reconcile starts');
    const reconcileEnds = startMinute(spec['schedule']) + (spec['startingDeadlineSeconds'] + job['activeDeadlineSeconds']) / 60;
    assert.ok(reconcileEnds < 24 * 60 + startMinute(nightly['schedule']), 'a late reconcile is over before the next night');

    const pod = job['template']['spec'];
    const nightPod = nightly['jobTemplate']['spec']['template']['spec'];
    for (const field of ['restartPolicy', 'automountServiceAccountToken', 'enableServiceLinks', 'securityContext']) {
      assert.deepEqual(pod[field], nightPod[field], `${field} as the nightly pod's`);
    }
    const [container, ...others] = pod['containers'];
    const [nightContainer] = nightPod['containers'];
    assert.equal(others.length, 0);
    assert.deepEqual(container['args'], ['reconcile', '--json'], 'one JSON object on stdout');
    for (const field of ['image', 'imagePullPolicy', 'envFrom', 'env', 'resources', 'securityContext', 'volumeMounts']) {
      assert.deepEqual(container[field], nightContainer[field], `the container's ${field} as the nightly one's`);
    }
    const volumes = Object.fromEntries(pod['volumes'].map((v: { name: string }) => [v.name, v]));
    const nightVolumes = Object.fromEntries(nightPod['volumes'].map((v: { name: string }) => [v.name, v]));
    assert.deepEqual(Object.keys(volumes).sort(), Object.keys(nightVolumes).sort());
    assert.deepEqual([volumes['state'], volumes['tmp']], [nightVolumes['state'], nightVolumes['tmp']], 'the same claim');
    const { items, ...secret } = volumes['credentials'].secret;
    const { items: nightItems, ...nightSecret } = nightVolumes['credentials'].secret;
    assert.deepEqual(secret, nightSecret, 'the same Secret, mounted the same way');
    assert.deepEqual(items, nightItems.filter((item: { key: string }) => item.key === 'api-key'), 'reconcile posts nothing: the API key only, as the systemd unit loads it');
  });

  test('the ConfigMap sets only settings memory-cron reads (as documented in the environment example), and no secret', () => {
    const example = readFileSync(join(repo, 'systemd', 'memory-cron.env.example'), 'utf8');
    for (const key of Object.keys(byKind('ConfigMap')[0]!['data'])) {
      assert.match(example, new RegExp(`^#?${key}=`, 'm'), `${key} is a documented setting`);
      assert.doesNotMatch(key, /API_KEY|SECRET|HEALTHCHECK_URL/);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(readFileSync(join(repo, 'deploy', 'Dockerfile'), 'utf8'));
  const stages = dockerfile.getFROMs().map((from) => from.getBuildStage());
  /** The instructions of each stage, by name. */
  const instructions = new Map<string, Instruction[]>();
  let current = '';
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') current = (instruction as ReturnType<typeof dockerfile.getFROMs>[number]).getBuildStage() ?? '';
    else if (current !== '') instructions.set(current, [...(instructions.get(current) ?? []), instruction]);
  }
  const runtime = instructions.get('runtime') ?? [];
  const args = (instruction: Instruction) => instruction.getArguments().map((argument) => argument.getValue());
  const of = (keyword: string) => runtime.filter((instruction) => instruction.getKeyword() === keyword);

  test('is multi-stage: build, production dependencies, and a runtime stage last', () => {
    assert.deepEqual(stages, ['build', 'deps', 'runtime']);
    assert.ok(instructions.get('build')?.some((i) => i.getKeyword() === 'RUN' && /npm run build/.test(i.getArgumentsContent() ?? '')));
    const install = instructions.get('deps')?.find((i) => i.getKeyword() === 'RUN' && /npm ci/.test(i.getArgumentsContent() ?? ''));
    assert.match(install?.getArgumentsContent() ?? '', /--omit=dev/, 'only production dependencies');
    assert.ok(!of('RUN').some((i) => /npm (ci|install)/.test(i.getArgumentsContent() ?? '')), 'the runtime stage installs nothing');
    const copiedFrom = of('COPY').flatMap((i) => (i as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags().filter((f) => f.getName() === 'from').map((f) => `${f.getValue()} ${args(i)[0]}`));
    assert.deepEqual(copiedFrom.sort(), ['build /src/dist', 'deps /app/node_modules']);
  });

  test('runs as a numeric non-root user, keeps STATE_DIR in a subfolder of its volume (as the CronJobs do), and its entrypoint is the CLI', () => {
    const users = of('USER');
    assert.equal(users.length, 1);
    const [user] = args(users[0]!);
    assert.match(user ?? '', /^[1-9]\d*(:[1-9]\d*)?$/, 'numeric, so runAsNonRoot can check it');
    assert.ok(runtime.indexOf(users[0]!) > Math.max(...of('RUN').map((i) => runtime.indexOf(i))), 'USER comes after every RUN');
    const env = of('ENV').map((i) => i.getArgumentsContent() ?? '').join(' ');
    const stateDir = /STATE_DIR=(\S+)/.exec(env)?.[1];
    assert.equal(stateDir, '/var/lib/memory-cron/state');
    const volumes = of('VOLUME').map((i) => JSON.parse(i.getArgumentsContent() ?? '[]') as string[]);
    assert.equal(volumes.length, 1);
    assert.deepEqual(volumes[0]?.length, 1);
    assertStateDirInsideMount(stateDir, volumes[0]?.[0]);
    const owned = of('RUN').find((i) => (i.getArgumentsContent() ?? '').includes(volumes[0]?.[0] ?? '?'));
    assert.match(owned?.getArgumentsContent() ?? '', /install -d -o 1000 -g 1000 -m 0700 /, 'the volume belongs to the runtime user, owner-only');
    for (const cronJob of byKind('CronJob')) {
      const container = cronJob['spec']['jobTemplate']['spec']['template']['spec']['containers'][0];
      const inPod = container['env'].find((e: { name: string }) => e.name === 'STATE_DIR')?.value;
      assert.equal(inPod, stateDir, `${cronJob['metadata']['name']} uses the image's STATE_DIR`);
      assert.equal(container['volumeMounts'].find((m: { name: string }) => m.name === 'state')?.mountPath, volumes[0]?.[0], `${cronJob['metadata']['name']} mounts the claim where the image keeps its volume`);
    }
    const entrypoint = of('ENTRYPOINT');
    assert.equal(entrypoint.length, 1);
    assert.deepEqual(JSON.parse(entrypoint[0]!.getArgumentsContent() ?? ''), ['node', '/app/dist/cli.js'], 'exec form: signals reach node');
    assert.deepEqual(JSON.parse(of('CMD')[0]?.getArgumentsContent() ?? ''), ['run']);
  });
});
