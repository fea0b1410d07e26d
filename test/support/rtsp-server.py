#!/usr/bin/python3
"""A synthetic H.264 IP camera for tests: GStreamer's RTSP server (Debian: gir1.2-gst-rtsp-server-1.0,
gstreamer1.0-plugins-ugly for x264enc) serving a moving test pattern at rtsp://127.0.0.1:PORT/cam.

    python3 test/support/rtsp-server.py PORT [WIDTHxHEIGHT] [FPS]
Prints "ready" on stdout once it listens; runs until killed. With RTSP_AUTH=user:password in the
environment, clients must authenticate (RTSP Basic) to play the stream.
"""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

port = sys.argv[1]
width, height = (sys.argv[2] if len(sys.argv) > 2 else "640x360").split("x")
fps = sys.argv[3] if len(sys.argv) > 3 else "10"

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f"( videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={fps}/1 "
    f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} ! rtph264pay name=pay0 pt=96 )"
)
factory.set_shared(True)
auth_line = os.environ.get("RTSP_AUTH")
if auth_line:
    user, _, password = auth_line.partition(":")
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_role_from_structure(Gst.Structure.new_empty("viewer"))
    permissions.add_permission_for_role("viewer", "media.factory.access", True)
    permissions.add_permission_for_role("viewer", "media.factory.construct", True)
    factory.set_permissions(permissions)
server.get_mount_points().add_factory("/cam", factory)
if server.attach(None) == 0:
    sys.exit("cannot listen on port " + port)
print("ready", flush=True)
GLib.MainLoop().run()
