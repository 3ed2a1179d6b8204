#!/usr/bin/env python3
"""Builds queries/data/devices.db (the IoT job's reference data) from queries/data/devices.sql."""
import os
import sqlite3
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sql = os.path.join(root, "queries", "data", "devices.sql")
db = os.path.join(root, "queries", "data", "devices.db")
if os.path.exists(db) and os.path.getmtime(db) >= os.path.getmtime(sql) and "--force" not in sys.argv:
    sys.exit(0)
tmp = db + ".tmp"
if os.path.exists(tmp):
    os.remove(tmp)
con = sqlite3.connect(tmp)
with open(sql) as f:
    con.executescript(f.read())
con.commit()
con.close()
os.replace(tmp, db)  # readers see the old file or the new one, never half of it
