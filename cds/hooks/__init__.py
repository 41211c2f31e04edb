"""CDS Hooks 2.0 blueprint: discovery, service calls, prefetch/FHIR fallback, cards, feedback."""

from cds.hooks.discovery import DISCHARGE, PATIENT_VIEW, Service, services
from cds.hooks.state import HookState

__all__ = ["DISCHARGE", "PATIENT_VIEW", "HookState", "Service", "services"]
