// Which requests go through a proxy, as curl decides it: the variables by scheme, lower case first, and NO_PROXY.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { noProxyMatches, proxyFor } from '../src/http/proxy-for.js';

const at = (url: string, env: NodeJS.ProcessEnv) => proxyFor(new URL(url), env)?.href;

describe('proxyFor', () => {
  test('http:// takes HTTP_PROXY, https:// takes HTTPS_PROXY, either case, the lower case first; ALL_PROXY for both; empty is unset', () => {
    assert.equal(at('http://a.test/x', { HTTP_PROXY: 'http://p1:3128', HTTPS_PROXY: 'http://p2:3128' }), 'http://p1:3128/');
    assert.equal(at('https://a.test/x', { HTTP_PROXY: 'http://p1:3128', HTTPS_PROXY: 'http://p2:3128' }), 'http://p2:3128/');
    assert.equal(at('https://a.test/x', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }), 'http://lower:1/');
    assert.equal(at('http://a.test/x', { http_proxy: '', HTTP_PROXY: 'http://upper:2' }), 'http://upper:2/');
    assert.equal(at('https://a.test/x', { HTTP_PROXY: 'http://p1:3128' }), undefined, 'HTTP_PROXY is not used for https://');
    assert.equal(at('https://a.test/x', { ALL_PROXY: 'http://all:9' }), 'http://all:9/');
    assert.equal(at('http://a.test/x', {}), undefined);
  });

  test('a proxy without a scheme is http://, for https:// targets too (as curl)', () => {
    assert.equal(at('https://a.test/x', { HTTPS_PROXY: 'proxy.corp:8080' }), 'http://proxy.corp:8080/');
  });

  test('NO_PROXY turns the proxy off for the hosts it names', () => {
    assert.equal(at('http://hook.internal/x', { HTTP_PROXY: 'http://p:1', NO_PROXY: 'internal' }), undefined);
    assert.equal(at('http://hook.example/x', { HTTP_PROXY: 'http://p:1', no_proxy: 'internal', NO_PROXY: 'hook.example' }), 'http://p:1/', 'no_proxy wins over NO_PROXY');
  });
});

describe('noProxyMatches (curl\'s rules, with ports)', () => {
  const matches = (url: string, noProxy: string) => noProxyMatches(new URL(url), noProxy);
  test('* alone names every host', () => {
    assert.equal(matches('https://anything.example/x', '*'), true);
    assert.equal(matches('https://anything.example/x', 'other, *'), true);
  });
  test('an entry names its host and every subdomain, with or without a leading dot, in any case', () => {
    for (const entry of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.com']) {
      assert.equal(matches('https://example.com/', entry), true, entry);
      assert.equal(matches('https://a.b.example.com/', entry), true, entry);
      assert.equal(matches('https://notexample.com/', entry), false, entry);
    }
    assert.equal(matches('https://a.example.com./', 'example.com'), true, 'a trailing dot on the host');
  });
  test('host:port names the host on that port only', () => {
    assert.equal(matches('http://127.0.0.1:8080/', '127.0.0.1:8080'), true);
    assert.equal(matches('http://127.0.0.1:8081/', '127.0.0.1:8080'), false);
    assert.equal(matches('https://hook.example/', 'hook.example:443'), true, 'the scheme\'s default port');
    assert.equal(matches('http://hook.example/', 'hook.example:443'), false);
  });
  test('IP addresses, CIDR ranges and IPv6', () => {
    assert.equal(matches('http://10.1.2.3/', '10.0.0.0/8'), true);
    assert.equal(matches('http://11.1.2.3/', '10.0.0.0/8'), false);
    assert.equal(matches('http://192.168.1.5/', '192.168.1.5'), true);
    assert.equal(matches('http://[::1]:8080/', '::1'), true);
    assert.equal(matches('http://[::1]:8080/', '[::1]:8080'), true);
    assert.equal(matches('http://[::1]:8080/', '[::1]:9090'), false);
    assert.equal(matches('http://[fd00::5]/', 'fd00::/8'), true);
    assert.equal(matches('http://hook.example/', '10.0.0.0/8'), false, 'a name is never in a range');
  });
  test('lists split on commas and spaces; empty entries name nothing', () => {
    assert.equal(matches('http://b.test/', 'a.test , b.test'), true);
    assert.equal(matches('http://c.test/', ' , ,'), false);
  });
});
