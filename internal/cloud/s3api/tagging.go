package s3api

import (
	"encoding/xml"
	"sort"

	"inlet/internal/bucketconf"
	"inlet/internal/objstore"
)

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

type tag struct {
	Key   string
	Value string
}

// taggingOf is the Tagging reply for a tag map, keys in order.
func taggingOf(tags map[string]string) tagging {
	out := tagging{Xmlns: s3Namespace, TagSet: []tag{}}
	for k, v := range tags {
		out.TagSet = append(out.TagSet, tag{Key: k, Value: v})
	}
	sort.Slice(out.TagSet, func(i, j int) bool { return out.TagSet[i].Key < out.TagSet[j].Key })
	return out
}

// readTagging reads a Tagging request body; a key given twice is
// InvalidTag.
func readTagging(q *request) (map[string]string, error) {
	body, err := readSmallBody(q, 64<<10)
	if err != nil {
		return nil, err
	}
	var in tagging
	if err := xml.Unmarshal(body, &in); err != nil {
		return nil, newError("MalformedXML")
	}
	tags := make(map[string]string, len(in.TagSet))
	for _, t := range in.TagSet {
		if _, dup := tags[t.Key]; dup {
			return nil, errorf("InvalidTag", "Cannot provide multiple Tags with the same key")
		}
		tags[t.Key] = t.Value
	}
	return tags, nil
}

func (s *Server) getObjectTagging(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	if err := versionParam(q); err != nil {
		return err
	}
	m, err := s.cfg.Store.HeadObject(q.r.Context(), q.bucket, q.key)
	if err != nil {
		return err
	}
	return writeXML(q, 200, taggingOf(m.Tags))
}

func (s *Server) putObjectTagging(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	if err := versionParam(q); err != nil {
		return err
	}
	tags, err := readTagging(q)
	if err != nil {
		return err
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	_, err = s.cfg.Store.UpdateObjectMeta(q.r.Context(), q.bucket, q.key, func(m *objstore.ObjectMeta) error {
		m.Tags = tags
		return nil
	})
	if err != nil {
		return err
	}
	q.w.WriteHeader(200)
	return nil
}

func (s *Server) deleteObjectTagging(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	_, err := s.cfg.Store.UpdateObjectMeta(q.r.Context(), q.bucket, q.key, func(m *objstore.ObjectMeta) error {
		m.Tags = nil
		return nil
	})
	if err != nil {
		return err
	}
	q.w.WriteHeader(204)
	return nil
}

func (s *Server) getBucketTagging(q *request) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	if len(b.Tags) == 0 {
		return newError("NoSuchTagSet")
	}
	return writeXML(q, 200, taggingOf(b.Tags))
}

func (s *Server) putBucketTagging(q *request) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	tags, err := readTagging(q)
	if err != nil {
		return err
	}
	for k, v := range tags {
		if err := checkTag(k, v); err != nil {
			return err
		}
	}
	if len(tags) > 50 {
		return errorf("InvalidTag", "Bucket tag count cannot be greater than 50")
	}
	return s.setConfig(q, b, 204, func(c *bucketconf.Config) {
		c.Tags = tags
	})
}

func (s *Server) deleteBucketTagging(q *request) error {
	return s.clearConfig(q, func(c *bucketconf.Config) { c.Tags = nil })
}
