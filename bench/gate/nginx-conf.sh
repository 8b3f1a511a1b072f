#!/usr/bin/env bash
# Write an nginx configuration equivalent to `beian gate proxy`: a `map` of the filed domains
# (`hostnames`, `.example.cn` entries match the domain and every name under it), 403 with a
# block page of the same size and an X-Beian-Deny header for the rest, keep-alive to the upstream.
# usage: nginx-conf.sh DIR LISTEN UPSTREAM WORKERS   (DIR holds map.conf from gate_bench_data)
set -euo pipefail
dir=$1 listen=$2 upstream=$3 workers=${4:-2}
page=$(head -c 1064 < /dev/zero | tr '\0' 'x')
cat > "$dir/nginx.conf" <<CONF
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    map_hash_max_size 4194304;
    map_hash_bucket_size 128;
    map \$host \$filed {
        hostnames;
        default 0;
        include $dir/map.conf;
    }
    upstream up {
        server $upstream;
        keepalive 256;
    }
    server {
        listen $listen reuseport backlog=4096;
        location / {
            if (\$filed = 0) {
                add_header X-Beian-Deny not_filed always;
                return 403 "$page";
            }
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
        }
    }
}
CONF
echo "$dir/nginx.conf"
