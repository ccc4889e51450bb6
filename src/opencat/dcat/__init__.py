"""DCAT-AP 3 in RDF: datasets and the catalog as rdflib graphs, their serializations and exports.

The only package that imports rdflib; it reads nothing but ``opencat.domain`` (house-style §5.3).
"""
