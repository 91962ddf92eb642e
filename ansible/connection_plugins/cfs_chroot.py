# cfs-gitops: a chroot connection for the local image store.
# ansible-core ships no chroot connection (community.general has one); this small plugin is put on
# ANSIBLE_CONNECTION_PLUGINS by the local runner for sessions with `target.definition: image`.
# MIT License (the license of cfs-gitops).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
    name: cfs_chroot
    short_description: run tasks inside an image root with chroot
    description:
      - Runs every command with C(chroot <root> /bin/sh -c <command>), so tasks see the image root
        as C(/). As root it calls chroot directly; as another user it enters a user namespace first
        (C(unshare --map-root-user)), where files it creates belong to that user.
      - Modules other than C(raw) need a Python inside the image root (as on any real boot image);
        a root without one (a busybox root, say) supports C(raw) tasks, with fact gathering off.
      - Files are copied in and out through the image's own shell (C(cat)), so a symlink inside the
        image resolves inside the image, never on the host.
    author: cfs-gitops
    options:
      remote_addr:
        description: Absolute path of the image root.
        default: inventory_hostname
        vars:
          - name: inventory_hostname
          - name: ansible_host
      executable:
        description: Shell inside the image root that runs each command.
        default: /bin/sh
        vars:
          - name: ansible_executable
"""

import os
import shlex
import subprocess

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()


class Connection(ConnectionBase):
    """Commands and files inside an image root, through chroot."""

    transport = "cfs_chroot"
    has_pipelining = True
    has_tty = False
    default_user = "root"

    def __init__(self, play_context, new_stdin, *args, **kwargs):
        super(Connection, self).__init__(play_context, new_stdin, *args, **kwargs)
        self.root = None

    def _connect(self):
        if self._connected:
            return self
        root = self.get_option("remote_addr")
        if not os.path.isabs(root) or not os.path.isdir(root):
            raise AnsibleError("cfs_chroot: %s is not the absolute path of an image root" % root)
        shell = self.get_option("executable")
        if not os.path.lexists(os.path.join(root, shell.lstrip("/"))):
            raise AnsibleError("cfs_chroot: the image root %s has no %s" % (root, shell))
        self.root = root
        display.vvv("ESTABLISH CFS_CHROOT CONNECTION TO %s" % root, host=root)
        super(Connection, self)._connect()
        self._connected = True
        return self

    def _argv(self, cmd):
        prefix = ["chroot"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "chroot"]
        return prefix + [self.root, self.get_option("executable"), "-c", cmd]

    def _run(self, cmd, in_data=None):
        self._connect()
        argv = self._argv(cmd)
        display.vvv("EXEC %s" % " ".join(shlex.quote(a) for a in argv), host=self.root)
        proc = subprocess.Popen(
            [to_bytes(a, errors="surrogate_or_strict") for a in argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        stdout, stderr = proc.communicate(in_data)
        return proc.returncode, stdout, stderr

    def exec_command(self, cmd, in_data=None, sudoable=False):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        return self._run(cmd, in_data)

    def put_file(self, in_path, out_path):
        super(Connection, self).put_file(in_path, out_path)
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self.root)
        try:
            with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as source:
                data = source.read()
        except IOError as error:
            raise AnsibleError("cfs_chroot: cannot read %s: %s" % (in_path, to_native(error)))
        rc, _, stderr = self._run("cat > %s" % shlex.quote(out_path), in_data=data)
        if rc != 0:
            raise AnsibleError("cfs_chroot: cannot write %s: %s" % (out_path, to_native(stderr)))

    def fetch_file(self, in_path, out_path):
        super(Connection, self).fetch_file(in_path, out_path)
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self.root)
        rc, stdout, stderr = self._run("cat %s" % shlex.quote(in_path))
        if rc != 0:
            raise AnsibleError("cfs_chroot: cannot read %s: %s" % (in_path, to_native(stderr)))
        with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as target:
            target.write(stdout)

    def close(self):
        super(Connection, self).close()
        self._connected = False
