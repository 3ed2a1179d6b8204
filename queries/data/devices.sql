-- The device registry the IoT job enriches telemetry with (reference data).
-- `make demo` and the tests build queries/data/devices.db from this file (scripts/setup.sh).
-- Vibration limits: CRITICAL when the hourly mean exceeds VibrationCritical and its standard
-- deviation StdDevCritical; WARNING likewise with the warning limits. Turbines tolerate more.
CREATE TABLE devices (
    DeviceId TEXT PRIMARY KEY,
    Site TEXT NOT NULL,
    Model TEXT NOT NULL,
    VibrationWarning REAL NOT NULL,
    VibrationCritical REAL NOT NULL,
    StdDevWarning REAL NOT NULL,
    StdDevCritical REAL NOT NULL
);
INSERT INTO devices VALUES
    ('dev-0001', 'Plant North', 'TH-200',  40, 50, 5, 10),
    ('dev-0002', 'Plant North', 'PU-110',  40, 50, 5, 10),
    ('dev-0003', 'Plant North', 'CP-7',    40, 50, 5, 10),
    ('dev-0004', 'Plant North', 'TB-900',  45, 60, 6, 12),
    ('dev-0005', 'Plant South', 'HUB-3',   40, 50, 5, 10),
    ('dev-0006', 'Plant South', 'TH-200',  40, 50, 5, 10),
    ('dev-0007', 'Plant South', 'PU-110',  40, 50, 5, 10),
    ('dev-0008', 'Plant South', 'CP-7',    40, 50, 5, 10),
    ('dev-0009', 'Plant East',  'TB-900',  45, 60, 6, 12),
    ('dev-0010', 'Plant East',  'HUB-3',   40, 50, 5, 10),
    ('dev-0011', 'Plant East',  'TH-210',  40, 50, 5, 10),
    ('dev-0012', 'Plant East',  'PU-110',  40, 50, 5, 10);
