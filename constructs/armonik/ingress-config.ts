/**
 * The nginx server configuration of ArmoniK's ingress, rendered from checked options: ArmoniK.Infra
 * 0.15.1 `armonik/ingress/nginx-conf/ingress.conf.tftpl` (locations, headers, CORS, timeouts) with
 * one change: every upstream is a variable resolved at request time through `resolver`, instead of
 * an `upstream` block with `server ... resolve` (nginx 1.27.3 and later only), so the configuration
 * loads on any nginx from 1.22 on (Debian 12's, which the tests run `nginx -t` with) and starts
 * before the Services it points to exist. Pure: no cdk8s.
 */

/** Where the ingress pod mounts its TLS material. */
export interface IngressPaths {
  /** The server certificate (with its chain) and key. */
  readonly cert: string;
  readonly key: string;
  /** The CA bundle client certificates must chain to (mTLS). */
  readonly clientCa: string;
}

/** The paths the ingress Deployment mounts. */
export const INGRESS_PATHS: IngressPaths = { cert: '/ingress/tls/tls.crt', key: '/ingress/tls/tls.key', clientCa: '/ingress/client-ca/ca.crt' };

/** CORS as Infra's `nginx.cors`. */
export interface CorsConfig {
  /** `Access-Control-Allow-Origin`. */
  readonly allowedHost: string;
  /** Added to Infra's default headers. */
  readonly allowedHeaders: readonly string[];
  readonly allowedMethods: readonly string[];
  readonly preflightMaxAge: number;
}

/** Checked options of {@link renderIngressConfig}. */
export interface IngressConfig {
  readonly tls: boolean;
  readonly mtls: boolean;
  /** Common names of clients (e.g. a load balancer) whose `X-Certificate-Client-CN` header is trusted. */
  readonly trustedCommonNames: readonly string[];
  /** `host:port` of the control plane's gRPC Service. */
  readonly controlPlane: string;
  /** `http://host:port` of the admin GUI, proxied at `/admin/`. */
  readonly adminGui?: string;
  readonly grafana?: string;
  readonly seq?: string;
  /** Languages the GUI serves; `en` first is the default. */
  readonly langs: readonly string[];
  /** CORS headers, or none. */
  readonly cors?: CorsConfig;
  /** The DNS server nginx resolves upstream names with. */
  readonly resolver: string;
  readonly paths: IngressPaths;
  /** Plain-HTTP port of the health endpoint (`/healthz`), for the kubelet's probes. */
  readonly healthPort: number;
}

/** The ports nginx listens on: Infra's (8443/9443 with TLS, 8080/9080 without). */
export function ingressListenPorts(tls: boolean): { http: number; grpc: number } {
  return tls ? { http: 8443, grpc: 9443 } : { http: 8080, grpc: 9080 };
}

/** Infra's CORS headers (`armonik/ingress/locals.tf`, `cors.default_headers`, `default_grpc_headers`). */
export const CORS_DEFAULT_HEADERS = ['DNT', 'X-CustomHeader', 'Keep-Alive,User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Access-Control-Allow-Origin', 'Access-Control-Allow-Methods'];
export const CORS_GRPC_HEADERS = ['x-grpc-web', 'x-user-agent'];

/** A regex matching one of the names exactly (Infra's `special_regex_characters` escaping). */
function namesPattern(names: readonly string[]): string {
  return names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

function corsBlock(cors: CorsConfig, headers: readonly string[], indent: string): string[] {
  const methods = cors.allowedMethods.join(',');
  return [
    `add_header Access-Control-Allow-Origin ${cors.allowedHost} always;`,
    `add_header Access-Control-Allow-Methods ${methods} always;`,
    `if ($request_method = 'OPTIONS') {`,
    `    add_header Access-Control-Allow-Origin ${cors.allowedHost} always;`,
    `    add_header Access-Control-Allow-Methods ${methods};`,
    `    add_header 'Access-Control-Allow-Credentials' 'true';`,
    `    add_header 'Access-Control-Allow-Headers' '${[...new Set(headers)].sort().join(',')}';`,
    `    add_header 'Access-Control-Max-Age' ${cors.preflightMaxAge};`,
    `    add_header 'Content-Type' 'text/plain charset=UTF-8';`,
    `    add_header 'Content-Length' 0;`,
    `    return 204;`,
    `}`,
  ].map((l) => indent + l);
}

/** A proxied tool (Grafana, Seq) under `/<name>/`, as Infra's template proxies them. */
function toolLocations(name: string, url: string, mtls: boolean, grafana: boolean): string[] {
  const identity = mtls ? ['        proxy_set_header X-Certificate-Client-CN $ssl_client_s_dn_cn;', '        proxy_set_header X-Certificate-Client-Fingerprint $ssl_client_fingerprint;'] : [];
  const lines = [
    `    set $${name}_upstream ${url};`,
    `    location = /${name} {`,
    `        return 301 $scheme://$http_host/${name}/;`,
    `    }`,
    `    location /${name}/ {`,
    `        rewrite ^/${name}/(.*) /$1 break;`,
    ...identity,
    `        proxy_set_header Host $http_host;`,
    ...(grafana ? [] : ['        proxy_set_header Accept-Encoding "";']),
    `        proxy_pass $${name}_upstream$uri$is_args$args;`,
    `        sub_filter '<head>' '<head><base href="$scheme://$http_host/${name}/">';`,
    `        sub_filter_once on;`,
    ...(grafana
      ? ['        proxy_intercept_errors on;', '        error_page 301 302 307 =302 $scheme://$http_host$upstream_http_location;']
      : ['        proxy_hide_header content-security-policy;']),
    `    }`,
  ];
  if (grafana) {
    lines.push(
      `    location /${name}/api/live {`,
      `        rewrite ^/${name}/(.*) /$1 break;`,
      ...identity,
      `        proxy_set_header Upgrade $http_upgrade;`,
      `        proxy_set_header Connection $connection_upgrade;`,
      `        proxy_http_version 1.1;`,
      `        proxy_set_header Host $http_host;`,
      `        proxy_pass $${name}_upstream$uri$is_args$args;`,
      `    }`,
    );
  }
  return lines;
}

/** The server configuration (what `/etc/nginx/conf.d/` holds), for checked options. */
export function renderIngressConfig(c: IngressConfig): string {
  const ports = ingressListenPorts(c.tls);
  const out: string[] = [
    '# ArmoniK ingress (platform-constructs): ArmoniK.Infra armonik/ingress/nginx-conf/ingress.conf.tftpl',
    `resolver ${c.resolver} valid=30s ipv6=off;`,
    'resolver_timeout 5s;',
    '',
    'map $http_accept_language $accept_language {',
    `    default ${c.langs[0]};`,
    ...c.langs.map((l) => `    ~*^${l} ${l};`),
    '}',
    '',
    'map $http_upgrade $connection_upgrade {',
    '    default upgrade;',
    "    '' close;",
    '}',
    '',
  ];
  if (c.mtls) {
    out.push(
      'map $ssl_client_s_dn $ssl_client_s_dn_cn {',
      '    default "";',
      '    ~CN=(?<CN>[^,/]+) $CN;',
      '}',
      '',
      '# A trusted client (e.g. a load balancer) may name the caller it forwards; others are who their certificate says.',
      'map "$http_x_certificate_client_cn|$ssl_client_s_dn_cn" $client_cn {',
      '    default $ssl_client_s_dn_cn;',
      ...(c.trustedCommonNames.length ? [`    "~^(.+)\\|(${namesPattern(c.trustedCommonNames)})$" $http_x_certificate_client_cn;`] : []),
      '}',
      '',
      'map "$http_x_certificate_client_fingerprint|$ssl_client_s_dn_cn" $client_fingerprint {',
      '    default $ssl_client_fingerprint;',
      ...(c.trustedCommonNames.length ? [`    "~^(.+)\\|(${namesPattern(c.trustedCommonNames)})$" $http_x_certificate_client_fingerprint;`] : []),
      '}',
      '',
    );
  }
  out.push(
    '# Health of nginx itself, for the kubelet: plain HTTP, no client certificate.',
    'server {',
    `    listen ${c.healthPort};`,
    '    access_log off;',
    '    location = /healthz {',
    "        add_header Content-Type text/plain;",
    "        return 200 'ok';",
    '    }',
    '    location / {',
    '        return 404;',
    '    }',
    '}',
    '',
    'server {',
  );
  if (c.tls) {
    out.push(
      `    listen ${ports.http} ssl http2;`,
      `    listen [::]:${ports.http} ssl http2;`,
      `    listen ${ports.grpc} ssl http2;`,
      `    listen [::]:${ports.grpc} ssl http2;`,
      `    ssl_certificate     ${c.paths.cert};`,
      `    ssl_certificate_key ${c.paths.key};`,
      ...(c.mtls
        ? ['    ssl_verify_client on;', `    ssl_client_certificate ${c.paths.clientCa};`, '    ssl_verify_depth 2;']
        : ['    ssl_verify_client off;']),
      '    ssl_protocols TLSv1.2 TLSv1.3;',
      '    ssl_ciphers EECDH+AESGCM:EECDH+AES256;',
      '    ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;',
    );
  } else {
    out.push(
      `    listen ${ports.http};`,
      `    listen [::]:${ports.http};`,
      `    listen ${ports.grpc} http2;`,
      `    listen [::]:${ports.grpc} http2;`,
    );
  }
  out.push(
    '',
    '    sendfile on;',
    '    tcp_nopush on;',
    '    proxy_buffering off;',
    '    proxy_request_buffering off;',
    '',
    `    set $armonik_upstream ${c.controlPlane};`,
  );
  if (c.adminGui) {
    out.push(
      '',
      '    location = / {',
      '        return 302 $scheme://$http_host/admin/$accept_language/;',
      '    }',
      '    location = /admin {',
      '        return 302 $scheme://$http_host/admin/$accept_language/;',
      '    }',
      '    location = /admin/ {',
      '        return 302 $scheme://$http_host/admin/$accept_language/;',
      '    }',
      ...c.langs.flatMap((l) => [`    location = /admin/${l} {`, `        return 302 $scheme://$http_host/admin/${l}/;`, '    }']),
      `    set $admin_app_upstream ${c.adminGui};`,
      '    location /admin/ {',
      '        proxy_set_header Host $http_host;',
      '        proxy_pass $admin_app_upstream$uri$is_args$args;',
      '    }',
    );
  }
  out.push(
    '',
    '    # ArmoniK\'s gRPC API (and gRPC-web from the GUI): every service is armonik.api.grpc.v1.<Service>.',
    '    location ~* ^/armonik\\. {',
    ...(c.mtls
      ? ['        grpc_set_header X-Certificate-Client-CN $client_cn;', '        grpc_set_header X-Certificate-Client-Fingerprint $client_fingerprint;']
      // Without mTLS nobody may claim an identity: the headers a client sends are dropped.
      : ['        grpc_set_header X-Certificate-Client-CN "";', '        grpc_set_header X-Certificate-Client-Fingerprint "";']),
    ...(c.cors ? corsBlock(c.cors, [...CORS_GRPC_HEADERS, ...CORS_DEFAULT_HEADERS, ...c.cors.allowedHeaders], '        ') : []),
    '        grpc_pass grpc://$armonik_upstream;',
    '        # A gRPC stream is one request body: no size limit; long tasks stream for days.',
    '        client_max_body_size 0;',
    '        client_body_timeout 1d;',
    '        grpc_read_timeout 30d;',
    '        grpc_send_timeout 1d;',
    '    }',
  );
  if (c.grafana) out.push('', ...toolLocations('grafana', c.grafana, c.mtls, true));
  if (c.seq) out.push('', ...toolLocations('seq', c.seq, c.mtls, false));
  out.push('}', '');
  return out.join('\n');
}
