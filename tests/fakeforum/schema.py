"""The part of ForumMagnum's GraphQL schema a post archive touches, as the real server declares it.

From `packages/lesswrong/lib/generated/gqlSchema.gql` (see shared/reference/forummagnum-api.md §2.1
and §3): `posts` takes the deprecated `input: MultiPostInput` (whose `terms` is untyped JSON, so an
unknown term is silently ignored, as on the real site) or the newer `selector` + `limit` + `offset`.
A field the schema does not have is a validation error (HTTP 400), never an empty value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema
from graphql.language import ast

SDL = """
scalar JSON
scalar Date

type User {
  _id: String!
  slug: String
  username: String
  displayName: String!
}

type Tag {
  _id: String!
  name: String!
  slug: String!
}

type Revision {
  _id: String
  html: String
  wordCount: Float
  version: String
  editedAt: Date
  plaintextDescription: String
}

type Post {
  _id: String!
  title: String!
  slug: String!
  pageUrl: String!
  pageUrlRelative: String
  linkUrl: String
  postedAt: Date!
  modifiedAt: Date
  createdAt: Date
  draft: Boolean
  baseScore: Float
  score: Float
  voteCount: Float
  commentCount: Float
  wordCount: Float
  readTimeMinutes: Float
  af: Boolean
  afBaseScore: Float
  question: Boolean
  isEvent: Boolean
  url: String
  postCategory: String
  userId: String
  author: String
  user: User
  coauthors: [User!]
  tags: [Tag!]!
  contents: Revision
  htmlBody: String
  frontpageDate: Date
  curatedDate: Date
  legacy: Boolean
  legacyId: String
  unlisted: Boolean
  shortform: Boolean
  status: Float
  rejected: Boolean
  hideAuthor: Boolean
}

input MultiPostInput {
  terms: JSON
  resolverArgs: JSON
  enableTotal: Boolean
  enableCache: Boolean
}

type MultiPostOutput {
  results: [Post!]!
  totalCount: Int
}

input PostsViewInput {
  after: String
  before: String
  timeField: String
  karmaThreshold: Int
  excludeEvents: Boolean
  af: Boolean
  userId: String
}

input PostSelector {
  default: PostsViewInput
  old: PostsViewInput
  new: PostsViewInput
  top: PostsViewInput
  magic: PostsViewInput
  timeframe: PostsViewInput
}

input SelectorInput {
  _id: String
  documentId: String
}

input SinglePostInput {
  selector: SelectorInput
  resolverArgs: JSON
  allowNull: Boolean
}

type SinglePostOutput {
  result: Post
}

type Query {
  post(input: SinglePostInput, selector: SelectorInput, allowNull: Boolean): SinglePostOutput
  posts(
    input: MultiPostInput
    selector: PostSelector
    limit: Int
    offset: Int
    enableTotal: Boolean
  ): MultiPostOutput
}
"""


def _literal(node: ast.ValueNode, variables: dict[str, Any] | None = None) -> Any:
    """A JSON literal written inline in a query (`terms: {view: "old"}`)."""
    if isinstance(node, ast.ObjectValueNode):
        return {field.name.value: _literal(field.value, variables) for field in node.fields}
    if isinstance(node, ast.ListValueNode):
        return [_literal(value, variables) for value in node.values]
    if isinstance(node, ast.VariableNode):
        return (variables or {}).get(node.name.value)
    if isinstance(node, ast.IntValueNode):
        return int(node.value)
    if isinstance(node, ast.FloatValueNode):
        return float(node.value)
    if isinstance(node, ast.NullValueNode):
        return None
    return node.value  # string, boolean, enum


def format_date(moment: datetime) -> str:
    """Date.toJSON(): milliseconds and a Z, as the real server sends every date."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _serialize_date(value: Any) -> str:
    if not isinstance(value, datetime):
        raise GraphQLError(f"Date cannot represent value: {value!r}")
    return format_date(value)


def build() -> GraphQLSchema:
    """The schema with its two custom scalars wired to Python values (graphql-core 3.3 API)."""
    schema = build_schema(SDL)
    json_type = schema.type_map["JSON"]
    json_type.coerce_output_value = lambda value: value  # type: ignore[attr-defined]
    json_type.coerce_input_value = lambda value: value  # type: ignore[attr-defined]
    json_type.coerce_input_literal = _literal  # type: ignore[attr-defined]
    date_type = schema.type_map["Date"]
    date_type.coerce_output_value = _serialize_date  # type: ignore[attr-defined]
    return schema
