# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Copy template data into plain Python containers, cheaply.

Since ansible-core 2.19 a filter's arguments arrive as lazy template containers, and
``copy.deepcopy`` of one also deep-copies its templar, with every variable of the play: about
0.1 s a call, seconds for the shop's catalog. ``plain_copy`` rebuilds the data as plain dicts and
lists instead (their items are templated once, as they are read), in microseconds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping


def plain_copy(value):
    """A deep copy of ``value`` made of dicts, lists and the scalars in it (tuples and sets become lists)."""
    if isinstance(value, Mapping):
        return {key: plain_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain_copy(item) for item in value]
    return value
