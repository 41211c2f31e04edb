"""FHIR R4 input: parse once, index once, validate only what the rules use."""

from cds.fhir.index import ResourceIndex, codings, concept_codes
from cds.fhir.parse import ParsedInput, parse_input

__all__ = ["ParsedInput", "ResourceIndex", "codings", "concept_codes", "parse_input"]
