import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { errors } from '../errors.ts';

const LOG4J_VERSION = '2.24.3';

/** Log4j as the SLF4J backend of a Java server's jars (without a configuration: errors only, to the console). */
export const LOG4J_SLF4J = `org.apache.logging.log4j:log4j-slf4j-impl:${LOG4J_VERSION}`;

/**
 * Fetches `artifacts` (group:artifact:version) and their runtime dependencies from Maven Central with Maven (which
 * verifies their checksums) into the directory `libs`, unless `libs/<sentinel>` is there already. Returns `libs`.
 * A failure is reported as the stack component `component` being unavailable.
 */
export function fetchMavenArtifacts(
  component: string,
  what: string,
  libs: string,
  sentinel: string,
  artifacts: string[],
  log: (line: string) => void,
): string {
  if (existsSync(join(libs, sentinel))) return libs;
  const base = join(libs, '..');
  mkdirSync(base, { recursive: true });
  const pom = join(base, `${basename(libs)}-pom.xml`);
  const dependencies = artifacts.map((a) => {
    const [groupId, artifactId, version] = a.split(':');
    return `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  });
  writeFileSync(
    pom,
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>adw.local</groupId><artifactId>${basename(libs)}</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
${dependencies.join('\n')}
  </dependencies>
</project>
`,
  );
  log(`fetching ${what} from Maven Central into ${libs}`);
  const r = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-C',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (r.error || r.status !== 0)
    throw errors.stackUnavailable(
      component,
      `mvn could not fetch ${what}: ${(r.error?.message ?? r.stdout + r.stderr).trim().split('\n').slice(-3).join(' ')}`,
    );
  return libs;
}
