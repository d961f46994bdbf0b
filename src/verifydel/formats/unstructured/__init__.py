"""Unstructured bytes: what no format claims, searched for phone-shaped spans in every encoding."""
