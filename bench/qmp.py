"""A minimal QMP client for the side-by-side scripts: connects to a Unix socket (waiting for the
machine to create it), negotiates, and runs commands, skipping events; an error ends the script."""
import json, socket, sys, time


class Qmp:
    def __init__(self, path):
        deadline = time.time() + 30
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.01)
        self.reader = self.sock.makefile("rb")
        self.reader.readline()  # greeting
        self.execute("qmp_capabilities")

    def execute(self, command, **arguments):
        self.sock.sendall(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
        while True:
            message = json.loads(self.reader.readline())
            if "event" in message:
                continue
            if "error" in message:
                sys.exit(f"{command}: {message['error']['desc']}")
            return message["return"]
