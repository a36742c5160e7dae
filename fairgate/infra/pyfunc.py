"""Models logged before the core/adapters/app layout pickled their pyfunc class under this path; a champion
registered then must still load (and be scored by the gate) after an upgrade."""

from fairgate.adapters.infra.pyfunc import FairgateModel

__all__ = ["FairgateModel"]
