"""The trusted-proxy rule of `limpia serve`, for WSGI servers that do not apply it themselves.

waitress drops the X-Forwarded-* (or Forwarded) headers from every peer but LIMPIA_TRUSTED_PROXY
and, from it, makes the forwarded client address REMOTE_ADDR. gunicorn only decides, through
forwarded_allow_ips, whom to believe about HTTPS; this wrapper does the rest the way waitress
does, from the same settings (settings.WAITRESS_TRUSTED_PROXY), so both servers see the same
request: a visitor cannot claim HTTPS or another address, and django-axes counts failed logins
by the address the proxy saw.
"""

from __future__ import annotations

ENVIRON_KEYS = {
    "x-forwarded-proto": "HTTP_X_FORWARDED_PROTO",
    "x-forwarded-for": "HTTP_X_FORWARDED_FOR",
    "x-forwarded-host": "HTTP_X_FORWARDED_HOST",
    "x-forwarded-port": "HTTP_X_FORWARDED_PORT",
    "x-forwarded-by": "HTTP_X_FORWARDED_BY",
    "forwarded": "HTTP_FORWARDED",
}


def forwarded_client(environ: dict, headers: set[str], count: int) -> str | None:
    """The client address the proxy forwarded: the count-th hop from the right, as waitress."""
    if "x-forwarded-for" in headers and (value := environ.get("HTTP_X_FORWARDED_FOR")):
        hops = [hop.strip() for hop in value.split(",") if hop.strip()]
    elif "forwarded" in headers and (value := environ.get("HTTP_FORWARDED")):
        hops = []
        for element in value.split(","):
            for pair in element.split(";"):
                key, _, address = pair.strip().partition("=")
                if key.lower() == "for" and address:
                    address = address.strip('"')
                    if address.startswith("["):  # [2001:db8::1]:port
                        address = address[1 : address.find("]")]
                    elif address.count(":") == 1:  # 192.0.2.1:port
                        address = address.split(":")[0]
                    hops.append(address)
    else:
        return None
    if not hops:
        return None
    return hops[-min(count, len(hops))]


class TrustedProxyMiddleware:
    def __init__(self, application, *, trusted_proxy: str | None = None, **options):
        self.application = application
        self.proxy = trusted_proxy
        self.headers = set(options.get("trusted_proxy_headers", ()))
        self.count = options.get("trusted_proxy_count", 1)

    def __call__(self, environ, start_response):
        from_proxy = self.proxy is not None and environ.get("REMOTE_ADDR") == self.proxy
        for header, key in ENVIRON_KEYS.items():
            if not (from_proxy and header in self.headers):
                environ.pop(key, None)
        if from_proxy and (client := forwarded_client(environ, self.headers, self.count)):
            environ["REMOTE_ADDR"] = client
        return self.application(environ, start_response)
