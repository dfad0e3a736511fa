"""sushy-static with HTTP basic auth: sushy-tools' static Redfish responder behind sushy-tools'
own Redfish basic-auth middleware.

sushy-static (sushy_tools.static.main) serves a mockup directory, over TLS when given a
certificate, but has no authentication; sushy-emulator authenticates (an Apache htpasswd file
of bcrypt digests, SUSHY_EMULATOR_AUTH_FILE) but serves only the resources of its drivers:
no Sensors, no MachineLearningModel, and a Thermal document whose names are fixed ("CPU Temp",
"Chassis Intake Temp"). This launcher joins the two without reimplementing either: every
request of sushy-static's handler first goes through sushy-emulator's RedfishAuthMiddleware
(the service root /redfish/v1 stays open, as there), whose answer (401 with
WWW-Authenticate, 400 for a malformed header, its Redfish error body) is sent unchanged;
sushy-static's own main() parses the arguments, loads the certificate and serves.

Usage: SUSHY_STATIC_AUTH_FILE=<htpasswd> python sushy_static_auth.py <sushy-static arguments>
"""

import io
import os
import sys

from sushy_tools.emulator.main import RedfishAuthMiddleware
from sushy_tools.static import main as static


def _passed(environ, start_response):
    environ["sushy_static_auth.passed"] = True
    return []


MIDDLEWARE = RedfishAuthMiddleware(_passed, os.environ["SUSHY_STATIC_AUTH_FILE"])


class AuthRequestHandler(static.RequestHandler):
    def _authenticated(self):
        path, _, query = self.path.partition("?")
        environ = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        if self.headers.get("Authorization") is not None:
            environ["HTTP_AUTHORIZATION"] = self.headers["Authorization"]
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers

        body = b"".join(MIDDLEWARE(environ, start_response))
        if environ.get("sushy_static_auth.passed"):
            return True
        self.send_response(int(answer["status"].split()[0]))
        for name, value in answer["headers"]:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return False

    def do_GET(self):
        if self._authenticated():
            super().do_GET()

    def do_POST(self):
        if self._authenticated():
            super().do_POST()

    def do_PATCH(self):
        if self._authenticated():
            super().do_PATCH()


if __name__ == "__main__":
    # sushy-static's main() looks its handler class up by name when it builds the server.
    static.RequestHandler = AuthRequestHandler
    sys.exit(static.main())
