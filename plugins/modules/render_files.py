#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

# This file holds the documentation only: the work is done by the action plugin of the same name
# (plugins/action/render_files.py), on the controller, like ansible.builtin.debug or template.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


DOCUMENTATION = r"""
module: render_files

short_description: Write a role's whole render folder in one task, pruning only what its last run wrote

version_added: 0.2.0

author:
  - boutique.ops maintainers (!UNKNOWN)

description:
  - Writes every file of O(files) under O(dest) (mode C(0644), sub-folders created with mode C(0755)), in one task.
  - Keeps a manifest, C(.boutique-ops-render), in O(dest), listing the files its last run wrote there. Files that the
    manifest lists and this run does not write are removed (with the sub-folders they leave empty). Every other file in
    O(dest), for example a C(kustomization.yml) or notes a user added, is left alone.
  - A file is rewritten only when its bytes or its mode differ; the task reports C(changed) only then (or when it
    removes a file or the manifest changes).
  - Runs on the controller (the folder is where C(ansible-playbook) runs); a relative O(dest) is relative to the
    current directory.
  - Supports check mode, in which it writes nothing and reports what it would write and remove.

options:
  dest:
    description:
      - The folder to render into, usually C({{ ops_render_dir }}/ROLE). Created when missing.
    type: path
    required: true
  files:
    description:
      - The files to write. Paths are relative to O(dest), without C(..); each path appears once.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Where the file goes, relative to O(dest), for example C(frontend.yml) or C(dashboards/pods.json).
        type: str
        required: true
      content:
        description: The file's text, written as UTF-8 exactly as given. Mutually exclusive with O(files[].src).
        type: str
      src:
        description: A file of the role (looked up in its C(files/) folder) copied byte for byte. Mutually exclusive
          with O(files[].content).
        type: str

attributes:
  check_mode:
    support: full
    description: Writes and removes nothing; C(written) and C(removed) say what a real run would do.
  diff_mode:
    support: none
    description: No diff is produced.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller only.

notes:
  - Without a manifest (a folder rendered by an older version), nothing is pruned on the first run; from then on the
    manifest decides.
  - Manifest entries that are not plain relative paths inside O(dest) (absolute, with C(..), or through a symlinked
    folder leading outside O(dest)) are ignored, so a tampered manifest cannot remove files elsewhere.
"""

EXAMPLES = r"""
- name: Render the shop
  boutique.ops.render_files:
    dest: "{{ ops_render_dir }}/boutique"
    files:
      - path: namespace.yml
        content: "{{ _boutique_namespace | boutique.ops.to_manifests }}"
      - path: locustfile.py
        src: locustfile.py
"""

RETURN = r"""
dest:
  description: The render folder, as an absolute path.
  returned: always
  type: str
  sample: /tmp/render/boutique
manifest:
  description: The manifest's path.
  returned: always
  type: str
  sample: /tmp/render/boutique/.boutique-ops-render
files:
  description: Every file this run renders, relative to O(dest), sorted.
  returned: always
  type: list
  elements: str
  sample: [frontend.yml, namespace.yml]
written:
  description: The files written (or, in check mode, to be written), each with the reason, one of C(new), C(content),
    C(mode) or C(replaced).
  returned: always
  type: dict
  sample: {frontend.yml: content}
removed:
  description: The files removed (or to be removed) because the last run wrote them and this one does not.
  returned: always
  type: list
  elements: str
  sample: [adservice.yml]
unchanged:
  description: How many files already held the right bytes and mode.
  returned: always
  type: int
  sample: 11
"""
